"""The Latent diffusion page's cached views: the VAE's q(z) against the prior and a latent DDPM, and grids of digits
from three samplers."""
from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st
import torch

import reference
from reference import evaluate as quality
from reference.diffusion.options import Sampler
from reference.families import latent

from lab_app.server import models
from lab_app.views import shared
from lab_app.views.shared import Progress

SOURCES = ("prior", "latent", "pixel")  # the decoded grids: VAE prior, latent DDPM, pixel-space DDPM


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    sampler: Sampler = "ddim"
    steps: int = 50
    n: int = 32
    seed: int = 0


DEFAULTS = Defaults()


@st.cache_resource(max_entries=len(latent.LATENT_DIMS), show_spinner=False)
def latent_pair(latent_dim: int) -> latent.LatentDiffusion:
    """A shipped VAE and the DDPM on its standardised latents, in eval mode, loaded once per latent size."""
    return latent.load_latent_diffusion(latent_dim, device=reference.default_device())


@st.cache_data(max_entries=1, show_spinner=False)
def real_digits_quality() -> dict:
    """The classifier's figures on the real test digits, the ceiling for generated ones."""
    return quality.digit_quality(models.digits_split().x_test, shared.digits_judge())


@st.cache_data(max_entries=16, show_spinner=False)
def latent_view(latent_dim: int, sampler: str, steps: int, seed: int, _progress: Progress | None = None) -> dict:
    """The held-out q(z), one draw per test digit (N, d), with the digits' labels; as many prior draws and latent DDPM
    samples z (sampler "ddpm" or "ddim" with `steps`); the distances to the held-out q(z) of DISTANCE_SETS times as
    many of each and of the training digits' q(z) draws; and N(0, 1)'s density on a grid, for the marginals."""
    pair = latent_pair(latent_dim)
    device = reference.default_device()
    split = models.digits_split()
    heldout = latent.heldout_latents(pair.vae, split.x_test.to(device))
    n, sets = len(heldout), latent.DISTANCE_SETS
    generator = torch.Generator(device=device).manual_seed(seed)
    prior_z, _ = latent.sample_prior(pair.vae, sets * n, generator)
    ddpm = pair.sample(sets * n, sampler=sampler, steps=steps, generator=generator, progress=_progress)
    train_z = latent.training_digits_posterior(pair.vae, split.x_train, n, sets, seed)
    distances = latent.distances_to_aggregated_posterior(
        {"prior N(0, I)": prior_z, "latent DDPM": ddpm.z, "training digits' q(z)": train_z}, heldout)
    grid = torch.linspace(-4, 4, 161)
    return {"n": n, "sets": sets, "heldout": heldout.cpu().numpy(), "labels": split.y_test.numpy(),
            "prior": prior_z[:n].cpu().numpy(), "ddpm": ddpm.z[:n].cpu().numpy(), "distances": distances,
            "prior_grid": grid.numpy(),
            "prior_density": torch.distributions.Normal(0.0, 1.0).log_prob(grid).exp().numpy()}


@st.cache_data(max_entries=32, show_spinner=False)
def latent_grid(source: str, latent_dim: int, sampler: str, steps: int, n: int, seed: int,
                _progress: Progress | None = None) -> dict:
    """n digits (n, 8, 8) from `source`: "prior" (decoded z ~ N(0, I)), "latent" (the latent DDPM, decoded) or
    "pixel" (the `digits` U-Net, by the same sampler), with the classifier's figures, the seconds sampling took
    (model and decoder), the device and a line saying how they were drawn."""
    device = reference.default_device()
    if source == "pixel":
        out = shared.samples("digits", sampler, n, seed, steps, "trailing", 0.0, "fixed_large", frames=2,
                      _progress=_progress)
        x, seconds = torch.from_numpy(out["x0"]), out["seconds"]
        clip = models.checkpoint("digits").sampling.ddim_clip_x0
        how = ("Algorithm 2, T = 1000 steps" if sampler == "ddpm"
               else f"DDIM, {steps} steps, x̂0 clipped to ±{clip:g}") + ", 701 k-parameter U-Net"
    else:
        pair = latent_pair(latent_dim)

        def draw(progress=None):
            generator = torch.Generator(device=device).manual_seed(seed)
            if source == "prior":
                return latent.sample_prior(pair.vae, n, generator)[1]
            return pair.sample(n, sampler=sampler, steps=steps, generator=generator, progress=progress).x

        draw()  # untimed: a first call in this thread and at this size sets up kernels, 5-50 ms, more than the work
        start = time.perf_counter()
        x = draw(_progress)
        if source == "prior":
            how = "one decoder call"
        else:
            how = ("Algorithm 2, T = 1000 steps" if sampler == "ddpm"
                   else f"DDIM, {steps} steps, ẑ's x̂0 clipped to ±{pair.ddim_clip:g}") + \
                f", {pair.ddpm.manifest['param_count'] / 1000:.0f} k-parameter MLP in {latent_dim}-D, then the decoder"
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return {"x": x.cpu().numpy()[:, 0], "n": n, "seconds": seconds, "device": reference.device_name(device),
            "quality": quality.digit_quality(x, shared.digits_judge()), "how": how}
