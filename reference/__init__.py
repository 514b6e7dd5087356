"""DDPM Lab's reference implementation of denoising diffusion (Ho et al. 2020): the lab's numerical truth.

Timestep convention — stated once, used everywhere: code's `t` is 0-indexed, running 0 … T-1, and the
paper's t is `t + 1`. `alpha_bar[t]` is the paper's ᾱ_{t+1}; sampling runs `for t in reversed(range(T))`
and adds noise only when `t > 0`.

Glossary (paper → code): x_0, x_t, x_{t-1} → `x0`, `x_t`, `x_prev`; ε, ε_θ, x̂_0 → `eps`, `eps_pred`, `x0_pred`;
β_t, α_t, ᾱ_t, ᾱ_{t-1} → `betas`, `alphas`, `alpha_bar`, `alpha_bar_prev`; μ̃_t, β̃_t, σ_t →
`posterior_mean`, `posterior_variance`, `sigma`; T → `T`, the number of diffusion steps; a network ε_θ is an
`eps_model`, a schedule is a `schedule`.
Shapes: x0, x_t, eps are (B, *S); t is a (B,) long tensor on x's device; schedules are (T,) float64.

Layout: `diffusion/` the mathematics, `nets/` the networks, `training/` the trainer and its commands, `families/`
the VAE, GAN, flow and latent diffusion; `data`, `device`, `evaluate` and `checkpoints` beside them; `weights/`.
"""
from .checkpoints import Checkpoint, available_checkpoints, load_checkpoint
from .data import TOY_DATASETS, DigitsSplit, load_digits_split, make_labelled_toy, make_toy
from .device import default_device, device_name
from .diffusion import *  # noqa: F401,F403  (the mathematics, as its __all__ lists it)
from .diffusion import __all__ as _diffusion_all
from .nets.models import MLPDenoiser, UNet, build_model

__all__ = [*_diffusion_all, "default_device", "device_name", "make_toy", "make_labelled_toy", "TOY_DATASETS",
           "load_digits_split", "DigitsSplit", "MLPDenoiser", "UNet", "build_model", "available_checkpoints",
           "load_checkpoint", "Checkpoint"]
