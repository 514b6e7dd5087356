"""DDPM Lab's reference implementation of denoising diffusion (Ho et al. 2020): the lab's numerical truth.

Timestep convention — stated once, used everywhere: code's `t` is 0-indexed, running 0 … T-1, and the
paper's t is `t + 1`. `alpha_bar[t]` is the paper's ᾱ_{t+1}; sampling runs `for t in reversed(range(T))`
and adds noise only when `t > 0`.

Glossary (paper → code): x_0, x_t, x_{t-1} → `x0`, `x_t`, `x_prev`; ε, ε_θ, x̂_0 → `eps`, `eps_pred`, `x0_pred`;
β_t, α_t, ᾱ_t, ᾱ_{t-1} → `betas`, `alphas`, `alpha_bar`, `alpha_bar_prev`; μ̃_t, β̃_t, σ_t →
`posterior_mean`, `posterior_variance`, `sigma`; T → `T`, the number of diffusion steps.
Shapes: x0, x_t, eps are (B, *S); t is an int or a (B,) long tensor on x's device; schedules are (T,) float64.
"""
from .analytic import (GaussianOptimalEps, GridPosterior, PosteriorCheck, gaussian_nll, posterior_check_1d,
                       posterior_on_grid)
from .checkpoints import Checkpoint, available_checkpoints, load_checkpoint
from .data import TOY_DATASETS, DigitsSplit, load_digits_split, make_labelled_toy, make_toy
from .device import default_device, device_name
from .diffusion import (PREDICTIONS, PMeanVariance, model_predictions, p_mean_variance, predict_eps_from_v,
                        predict_eps_from_x0, predict_x0_from_eps, predict_x0_from_v, q_mean_variance,
                        q_posterior_mean_variance, q_sample, v_from_x0_eps)
from .forward import (Moments, chain_moments, marginal_moments, moments, moments_gap, q_chain, q_step_sample,
                      standardize, unscaled_step_sample)
from .guidance import guided_model
from .inspection import (PRIOR_NEGLIGIBLE_BITS, BoundSummary, PriorMatching, TerminalSignal, eps_weight_over_simple,
                         log_snr, loss_weight_on_eps, prior_matching, summarize_bound, terminal_signal)
from .losses import (VLBTerms, discretized_gaussian_log_likelihood, eps_loss, eps_weight, gaussian_log_likelihood,
                     normal_kl, prior_kl, simple_loss, vlb_term, vlb_terms)
from .models import MLPDenoiser, UNet, build_model
from .sampling import (DDIM_SPACINGS, Step, Trajectory, ddim_step, ddim_steps, ddim_timesteps, ddpm_steps, sample_ddim,
                       sample_ddpm)
from .schedule_io import load_schedule, parse_betas, schedule_to_json, schedule_to_npz
from .schedules import SCHEDULE_NAMES, Schedule
from .timesteps import check_t, extract

__all__ = [
    "Schedule", "SCHEDULE_NAMES", "check_t", "extract", "default_device", "device_name",
    "q_mean_variance", "q_sample", "q_posterior_mean_variance", "predict_x0_from_eps", "predict_eps_from_x0",
    "v_from_x0_eps", "predict_x0_from_v", "predict_eps_from_v", "p_mean_variance", "PMeanVariance",
    "eps_loss", "simple_loss", "PREDICTIONS", "model_predictions", "loss_weight_on_eps", "eps_weight", "vlb_term",
    "vlb_terms", "VLBTerms", "normal_kl", "prior_kl", "gaussian_log_likelihood",
    "discretized_gaussian_log_likelihood", "sample_ddpm", "sample_ddim", "ddpm_steps", "ddim_step", "ddim_steps",
    "ddim_timesteps", "DDIM_SPACINGS", "Step", "Trajectory", "GaussianOptimalEps", "gaussian_nll",
    "log_snr", "terminal_signal", "TerminalSignal", "PRIOR_NEGLIGIBLE_BITS", "summarize_bound", "BoundSummary",
    "prior_matching", "PriorMatching",
    "eps_weight_over_simple", "parse_betas", "load_schedule", "schedule_to_npz", "schedule_to_json",
    "make_toy", "TOY_DATASETS", "load_digits_split", "DigitsSplit", "MLPDenoiser", "UNet", "build_model",
    "available_checkpoints", "load_checkpoint", "Checkpoint",
    "q_step_sample", "unscaled_step_sample", "q_chain", "moments", "Moments", "chain_moments", "marginal_moments",
    "moments_gap", "standardize", "posterior_on_grid", "GridPosterior", "posterior_check_1d", "PosteriorCheck",
    "make_labelled_toy", "guided_model",
]
