"""The only module with st.cache_* decorators: arrays by primitive arguments, and the process's one compute service.

Each cached function calls the reference and hands back NumPy arrays for lab_app/figures.py. A schedule travels as
a `ScheduleSpec`, a tuple of primitives: ("linear", T, (("beta_end", 0.02),), zero_terminal_snr),
("list", text) for a typed β list or ("file", filename, data) for an upload. Samples and bounds go through the
compute service (lab_app/compute/), which queues, batches and keeps them for every session; shipped models and the
digits are loaded once per process there (`lab_app.compute.jobs`). Every cache has max_entries; none has a ttl,
which would expire the warm-up's defaults (lab_app/warmup.py) in the middle of a lecture.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import streamlit as st
import torch

import reference
from reference import checkpoints, data
from reference import evaluate as quality
from reference.families import latent
from reference.nets import network

from lab_app.compute import BoundRequest, ComputeService, SampleRequest, Ticket, jobs
from lab_app.training_run import TrainingSlots

ScheduleSpec = tuple
Progress = Callable[[int, int], None]


@st.cache_resource(max_entries=64, show_spinner=False)
def build_schedule(spec: ScheduleSpec) -> reference.Schedule:
    """The Schedule a spec describes; the reference raises ValueError, naming the bad value, for invalid input."""
    kind = spec[0]
    if kind == "list":
        return reference.parse_betas(spec[1])
    if kind == "file":
        return reference.load_schedule(spec[2], spec[1])
    _, T, params, zero_terminal_snr = spec
    return reference.Schedule.from_name(kind, T, zero_terminal_snr=zero_terminal_snr, **dict(params))


def schedule_label(spec: ScheduleSpec) -> str:
    """A short legend label: the schedule's name and T."""
    s = build_schedule(spec)
    return f"{s.name if spec[0] != 'list' else 'custom'} (T={s.T})"


@st.cache_data(max_entries=64, show_spinner=False)
def schedule_curves(spec: ScheduleSpec) -> dict[str, np.ndarray]:
    """β_t, ᾱ_t, √ᾱ_t, √(1 − ᾱ_t) and log-SNR, (T,) each, with ᾱ_T and L_T from `reference.terminal_signal`."""
    s = build_schedule(spec)
    end = reference.terminal_signal(s)
    return {"betas": s.betas.numpy(), "alpha_bar": s.alpha_bar.numpy(), "sqrt_alpha_bar": s.sqrt_alpha_bar.numpy(),
            "sqrt_one_minus_alpha_bar": s.sqrt_one_minus_alpha_bar.numpy(), "log_snr": reference.log_snr(s).numpy(),
            "alpha_bar_T": end.alpha_bar_T, "prior_bits_per_dim": end.prior_bits_per_dim,
            "negligible": end.negligible}


@st.cache_data(max_entries=64, show_spinner=False)
def schedule_files(spec: ScheduleSpec) -> tuple[bytes, str]:
    """The schedule as .npz bytes and as JSON text, for the download buttons."""
    s = build_schedule(spec)
    return reference.schedule_to_npz(s), reference.schedule_to_json(s)


@st.cache_data(max_entries=32, show_spinner=False)
def toy_data(name: str, n: int, seed: int) -> np.ndarray:
    """(n, 2) points of a toy data set."""
    return data.make_toy(name, n, seed).numpy()


def digits_split() -> data.DigitsSplit:
    """The digits' fixed train/test split, (N, 1, 8, 8) in [−1, 1], loaded once per process."""
    return jobs.digits_split()


def _q_sample(x0: torch.Tensor, spec: ScheduleSpec, t: int, seed: int) -> np.ndarray:
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return reference.q_sample(x0, t, noise, build_schedule(spec).alpha_bar).numpy()


@st.cache_data(max_entries=128, show_spinner=False)
def noised_toy(spec: ScheduleSpec, name: str, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) (eq. 4) for n points of a toy set, (n, 2); t is code's 0-indexed timestep."""
    return _q_sample(data.make_toy(name, n, seed), spec, t, seed)


@st.cache_data(max_entries=128, show_spinner=False)
def noised_digits(spec: ScheduleSpec, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) for the first n held-out digits, (n, 8, 8); t is code's 0-indexed timestep."""
    return _q_sample(digits_split().x_test[:n], spec, t, seed)[:, 0]


def checkpoint(name: str) -> checkpoints.Checkpoint:
    """A shipped model in eval mode on the lab's device, loaded once per process and name, and never mutated."""
    return jobs.checkpoint(name)


@st.cache_resource(max_entries=1, show_spinner=False)
def compute_service() -> ComputeService:
    """The process's one compute service (`ComputeService.from_environment`): batches in a child process at the lowest
    priority, or on the Dask cluster DDPM_LAB_DASK_SCHEDULER names."""
    return ComputeService.from_environment()


@st.cache_resource(max_entries=1, show_spinner=False)
def training_slots() -> TrainingSlots:
    """The process's training slots: how many Training-page runs may step at once (lab_app/training_run.py)."""
    return TrainingSlots.from_environment()


@st.cache_resource(max_entries=512, show_spinner=False)
def figure(key: tuple, _build: Callable[[], Any]) -> Any:
    """The plotly figure `_build()` makes, built once per process for `key` and shared by every session: a page's
    rerun then only serialises it. `key` holds every primitive the figure depends on (the arguments of the cached
    arrays it draws, its labels and options), starting with its name. Never mutated: st.plotly_chart copies it."""
    return _build()


def _wait(ticket: Ticket, progress: Progress | None) -> dict:
    """The ticket's result, reporting progress(done, total, x0_pred) while it runs. The wait keeps the page script's
    turn (lab_app/admission.py): it may run inside a cached function, whose key's lock a script that took the turn
    meanwhile could wait for."""
    try:
        while not ticket.wait(0.2):
            if progress is not None and ticket.total:
                progress(ticket.done, ticket.total, ticket.preview)
        return ticket.value()
    finally:
        ticket.release()


def is_image_model(name: str) -> bool:
    """Whether a checkpoint models the 8×8 digits (images in [−1, 1]) rather than 2-D points."""
    return checkpoint(name).manifest["data"] == "digits"


def _held_out(name: str, n: int) -> torch.Tensor:
    """n held-out examples of the checkpoint's data: digits' test split, or toy points from an unused seed."""
    return jobs.held_out(name, n)


@st.cache_data(max_entries=32, show_spinner=False)
def held_out(name: str, n: int) -> np.ndarray:
    """n held-out examples of a checkpoint's data, (n, *S)."""
    return _held_out(name, n).numpy()


def ddim_clip(name: str) -> float:
    """The range DDIM clips a shipped model's x̂0 to, from its manifest (`Checkpoint.sampling`)."""
    return checkpoint(name).sampling.ddim_clip_x0


def bound(name: str, n: int, variance: str, seed: int, _progress: Progress | None = None) -> dict:
    """Every term of the bound (eq. 5) on n held-out examples, through the compute service (lab_app.compute.jobs.bound:
    `reference.summarize_bound` with the total's standard error), waiting for it."""
    return _wait(compute_service().submit(BoundRequest(name, n, variance, seed)), _progress)


@st.cache_data(max_entries=32, show_spinner=False)
def weight_over_simple(name: str, variance: str) -> np.ndarray:
    """D·(eq. 12 weight) for code t = 1 … T−1 (paper's 2 … T), (T − 1,)."""
    ckpt = checkpoint(name)
    dims = _held_out(name, 1)[0].numel()
    return reference.eps_weight_over_simple(ckpt.schedule, variance, dims)[1:].numpy()


def samples(name: str, sampler: str, n: int, seed: int, ddim_steps: int, spacing: str, eta: float, variance: str,
            frames: int = 101, _progress: Progress | None = None) -> dict:
    """Samples from a shipped model by DDPM (Algorithm 2) or DDIM, through the compute service (`SampleRequest`,
    lab_app.compute.jobs.sample_batch), waiting for them: the final samples (n, *S), the trajectory's x_t
    (F + 1, n, *S) and x0_pred (F, n, *S) at the 0-indexed `timesteps` (F,), the seconds, the batch size and the
    device. `_progress(done, total, x0_pred)` sees the latest step's x̂0, for a live preview."""
    request = SampleRequest(name, sampler, n, seed, ddim_steps, spacing, eta, variance, frames)
    return _wait(compute_service().submit(request), _progress)


# --- Forward process page: the chain of eq. 2 beside the jump of eq. 4 ---------------------------------------------


def _moments(m: reference.Moments) -> dict[str, np.ndarray]:
    return {"mean": m.mean.cpu().numpy(), "variance": m.variance.cpu().numpy(), "mean_se": m.mean_se.cpu().numpy(),
            "variance_se": m.variance_se.cpu().numpy()}


def _standardized_toy(name: str, n: int, seed: int) -> torch.Tensor:
    """n toy points shifted and scaled to mean 0 and variance 1 per dimension, on the lab's device."""
    return reference.standardize(data.make_toy(name, n, seed)).to(reference.default_device())


def _chain_generator(seed: int) -> torch.Generator:
    """The chain's noise; the jump of eq. 4 draws its ε from seed + 1, so the two never share a draw."""
    return torch.Generator(device=reference.default_device()).manual_seed(seed)


@st.cache_data(max_entries=16, show_spinner=False)
def forward_variance(spec: ScheduleSpec, name: str, n: int, seed: int) -> dict:
    """Per-dimension moments of x_1 … x_T, (T, 2) each, for n toy points standardised to unit variance: along the
    chain of eq. 2 ("chain") and along the unscaled chain x_t = x_{t-1} + √β_t·ε ("unscaled"), each with its exact
    variance from `reference.marginal_moments` and the measured variance averaged over the dimensions, and the
    seconds both chains took."""
    s = build_schedule(spec)
    x0 = _standardized_toy(name, n, seed)
    data_moments = reference.moments(x0)
    start = time.perf_counter()
    out = {}
    for key, variance_preserving in (("chain", True), ("unscaled", False)):
        m = reference.chain_moments(x0, s, _chain_generator(seed), variance_preserving=variance_preserving)
        _, exact = reference.marginal_moments(data_moments.mean.cpu(), data_moments.variance.cpu(), s,
                                              variance_preserving=variance_preserving)
        out[key] = {**_moments(m), "exact_variance": exact.numpy(),  # (T, 2)
                    "average_variance": m.variance.mean(1).cpu().numpy(),  # (T,), over the 2 dimensions
                    "average_exact_variance": exact.mean(1).numpy()}
    out["seconds"] = time.perf_counter() - start
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def forward_at(spec: ScheduleSpec, name: str, n: int, seed: int, t: int) -> dict:
    """x_t at code t (the paper's t + 1) for the same n standardised toy points, two ways: t + 1 steps of eq. 2 (the
    chain of `forward_variance`, stopped at t, so the same draws) and one jump of eq. 4. Returns both (n, 2) with
    their moments, the gaps between those in standard errors (`reference.moments_gap`), and the exact mean and
    variance of x_t (`reference.marginal_moments`)."""
    s = build_schedule(spec)
    x0 = _standardized_toy(name, n, seed)
    reference.check_t(t, x0, s.T)
    for t_chain, chain in reference.q_chain(x0, s, _chain_generator(seed)):
        if t_chain == t:
            break
    noise = torch.randn(x0.shape, generator=_chain_generator(seed + 1), device=x0.device)
    jump = reference.q_sample(x0, t, noise, s.alpha_bar)
    data_moments, chain_moments, jump_moments = (reference.moments(x) for x in (x0, chain, jump))
    exact_mean, exact_variance = reference.marginal_moments(data_moments.mean.cpu(), data_moments.variance.cpu(), s)
    gap_mean, gap_variance = reference.moments_gap(chain_moments, jump_moments)
    return {"chain": chain.cpu().numpy(), "jump": jump.cpu().numpy(),
            "chain_moments": _moments(chain_moments), "jump_moments": _moments(jump_moments),
            "exact_mean": exact_mean[t].numpy(), "exact_variance": exact_variance[t].numpy(),
            "gap_mean": gap_mean.cpu().numpy(), "gap_variance": gap_variance.cpu().numpy()}


@st.cache_data(max_entries=32, show_spinner=False)
def forward_digit(spec: ScheduleSpec, index: int, seed: int, ts: tuple[int, ...]) -> dict:
    """Held-out digit `index`, x0 (8, 8), and its x_t at the code timesteps `ts`, (k, 8, 8) each: along one chain of
    eq. 2 ("chain") and by one jump of eq. 4 per t ("jump")."""
    s = build_schedule(spec)
    x0 = digits_split().x_test[index:index + 1].to(reference.default_device())  # (1, 1, 8, 8)
    for t in ts:
        reference.check_t(t, x0, s.T)
    chain = {}
    for t, x_t in reference.q_chain(x0, s, _chain_generator(seed)):
        if t in ts:
            chain[t] = x_t[0, 0].cpu().numpy()
        if t == max(ts):
            break
    generator = _chain_generator(seed + 1)
    jump = [reference.q_sample(x0, t, torch.randn(x0.shape, generator=generator, device=x0.device), s.alpha_bar)[0, 0]
            for t in ts]
    return {"x0": x0[0, 0].cpu().numpy(), "chain": np.stack([chain[t] for t in ts]),
            "jump": torch.stack(jump).cpu().numpy()}


# --- Posterior page: q(x_{t-1} | x_t, x_0), eqs. 6–7 --------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def posterior_curves(spec: ScheduleSpec) -> dict[str, np.ndarray]:
    """μ̃_t's coefficients on x0 and x_t, β_t and β̃_t (eq. 7), with α_t, ᾱ_t, ᾱ_{t-1} and β̃_t / β_t: (T,) each."""
    s = build_schedule(spec)
    return {"coef1": s.posterior_mean_coef1.numpy(), "coef2": s.posterior_mean_coef2.numpy(),
            "betas": s.betas.numpy(), "posterior_variance": s.posterior_variance.numpy(), "alphas": s.alphas.numpy(),
            "alpha_bar": s.alpha_bar.numpy(), "alpha_bar_prev": s.alpha_bar_prev.numpy(),
            "variance_ratio": (s.posterior_variance / s.betas).numpy()}  # β̃_t / β_t


@st.cache_data(max_entries=128, show_spinner=False)
def draw_x_t(spec: ScheduleSpec, x0: float, t: int, seed: int) -> float:
    """One draw x_t ~ q(x_t | x_0) (eq. 4) for a 1-D x0 at code t."""
    noise = torch.randn((1, 1), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return float(reference.q_sample(torch.tensor([[x0]], dtype=torch.float64), t, noise, build_schedule(spec).alpha_bar))


@st.cache_data(max_entries=128, show_spinner=False)
def posterior_1d(spec: ScheduleSpec, x0: float, x_t: float, t: int) -> dict:
    """`reference.posterior_check_1d`: eq. 7's N(μ̃_t, β̃_t) and Bayes' rule on a grid, for 1-D x0, x_t at code t."""
    c = reference.posterior_check_1d(x0, x_t, t, build_schedule(spec))
    return {"grid": c.grid.numpy(), "bayes": c.bayes.numpy(), "closed_form": c.closed_form.numpy(),
            "posterior_mean": c.posterior_mean, "posterior_variance": c.posterior_variance,
            "grid_mean": c.grid_mean, "grid_variance": c.grid_variance, "max_abs_diff": c.max_abs_diff,
            "peak": c.peak, "mean_diff": c.grid_mean - c.posterior_mean,
            "variance_diff": c.grid_variance - c.posterior_variance}


# --- latent diffusion (lab_app/pages/latent.py) -------------------------------------------------------------------


@st.cache_resource(max_entries=len(latent.LATENT_DIMS), show_spinner=False)
def latent_pair(latent_dim: int) -> latent.LatentDiffusion:
    """A shipped VAE and the DDPM on its standardised latents, in eval mode, loaded once per latent size."""
    return latent.load_latent_diffusion(latent_dim, device=reference.default_device())


@st.cache_resource(max_entries=1, show_spinner=False)
def digits_judge():
    """The digits classifier whose confidence every digits manifest records (reference.evaluate.digits_classifier)."""
    return quality.digits_classifier()


@st.cache_data(max_entries=1, show_spinner=False)
def real_digits_quality() -> dict:
    """The classifier's figures on the real test digits, the ceiling for generated ones."""
    return quality.digit_quality(digits_split().x_test, digits_judge())


@st.cache_data(max_entries=16, show_spinner=False)
def latent_view(latent_dim: int, sampler: str, steps: int, seed: int, _progress: Progress | None = None) -> dict:
    """The held-out q(z), one draw per test digit (N, d), with the digits' labels; as many prior draws and latent DDPM
    samples z (sampler "ddpm" or "ddim" with `steps`); the distances to the held-out q(z) of DISTANCE_SETS times as
    many of each and of the training digits' q(z) draws; and N(0, 1)'s density on a grid, for the marginals."""
    pair = latent_pair(latent_dim)
    device = reference.default_device()
    split = digits_split()
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
        out = samples("digits", sampler.upper(), n, seed, steps, "trailing", 0.0, "fixed_large", frames=2,
                      _progress=_progress)
        x, seconds = torch.from_numpy(out["x0"]), out["seconds"]
        how = ("Algorithm 2, T = 1000 steps" if sampler == "ddpm"
               else f"DDIM, {steps} steps, x̂0 clipped to ±{ddim_clip('digits'):g}") + ", 701 k-parameter U-Net"
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
            "quality": quality.digit_quality(x, digits_judge()), "how": how}


# --- The network page: the digits U-Net's blocks, its time embedding, attention and feature maps at one t ----------


@st.cache_data(max_entries=8, show_spinner=False)
def network_blocks(name: str) -> dict:
    """`reference.nets.network.describe_unet` of a shipped U-Net: its blocks in forward order (dicts of the Block fields,
    with `attention`), and `count_parameters` of the whole model."""
    ckpt = checkpoint(name)
    blocks = network.describe_unet(ckpt.model, tuple(_held_out(name, 1).shape[1:]))
    return {"blocks": [{**vars(b), "attention": b.attention} for b in blocks],
            "total": reference.nets.models.count_parameters(ckpt.model)}


@st.cache_data(max_entries=8, show_spinner=False)
def time_embedding(name: str) -> np.ndarray:
    """The sinusoidal embedding a shipped U-Net's time MLP reads at every code t = 0 … T−1, (T, t_dim)."""
    ckpt = checkpoint(name)
    return network.embedding_table(ckpt.model, ckpt.schedule.T).numpy()


@st.cache_data(max_entries=64, show_spinner=False)
def network_inside(name: str, index: int, t: int, seed: int, k: int) -> dict:
    """Held-out digit `index` noised to code t by eq. 4 (ε drawn from `seed`) and one pass of the model, looked
    inside by `reference.nets.network.capture`: x0, x_t, ε, ε_θ and x̂0 (eq. 15), (H, W) each; L_simple's
    ‖ε − ε_θ‖²/D (eq. 14) and ᾱ_t; every block's output (C, H, W) with its k strongest channels; every attention
    layer's weights (N, N)."""
    ckpt = checkpoint(name)
    device = reference.default_device()
    x0 = digits_split().x_test[index:index + 1].to(device)  # (1, 1, 8, 8)
    sched = ckpt.schedule.to(device)
    reference.check_t(t, x0, sched.T)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed)).to(device)
    x_t = reference.q_sample(x0, t, eps, sched.alpha_bar)
    t_batch = torch.full((1,), t, dtype=torch.long, device=device)
    inside = network.capture(ckpt.model, x_t, t_batch)
    x0_pred = reference.predict_x0_from_eps(x_t, t, inside.eps_pred, sched)
    with torch.no_grad():
        loss = reference.weighted_eps_loss(ckpt.model, x0, t, sched, eps)
    features = {b: f[0].cpu().numpy() for b, f in inside.features.items() if f.dim() == 4}
    return {"x0": x0[0, 0].cpu().numpy(), "x_t": x_t[0, 0].cpu().numpy(), "eps": eps[0, 0].cpu().numpy(),
            "eps_pred": inside.eps_pred[0, 0].cpu().numpy(), "x0_pred": x0_pred[0, 0].cpu().numpy(),
            "loss": float(loss[0]), "alpha_bar": float(sched.alpha_bar[t]), "label": int(digits_split().y_test[index]),
            "features": features,
            "strongest": {b: network.strongest_channels(f[0], min(k, f.shape[1])).tolist()
                          for b, f in inside.features.items() if f.dim() == 4},
            "attention": {b: a[0].cpu().numpy() for b, a in inside.attention.items()}}


# --- Diffusion as a hierarchical VAE (lab_app/pages/mhvae.py) -----------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def prior_matching(name: str, n: int) -> dict:
    """L_T = KL(q(x_T | x_0) ‖ N(0, I)) of a shipped model's schedule on the n held-out examples `bound` uses, in
    bits/dim and float64 (`reference.prior_matching`): by `prior_kl` and by `terminal_signal` for their E[x0²], with
    ᾱ_T and, for comparison, `terminal_signal` of unit-variance data."""
    schedule = checkpoint(name).schedule
    p = reference.prior_matching(_held_out(name, n), schedule)
    return {"alpha_bar_T": p.alpha_bar_T, "second_moment": p.second_moment, "measured": p.measured,
            "closed_form": p.closed_form, "negligible": p.negligible,
            "unit_variance": reference.terminal_signal(schedule).prior_bits_per_dim}


# ---- x0 vs ε vs v --------------------------------------------------------------------------------------------------

def prediction_family(data_name: str) -> dict[str, str]:
    """prediction -> the shipped checkpoint of `data_name` that predicts it, e.g. {"eps": "moons", "x0": "moons_x0"}."""
    out = {}
    for name in checkpoints.available_checkpoints():
        ckpt = checkpoint(name)
        if ckpt.manifest["data"] == data_name and ckpt.prediction not in out:
            out[ckpt.prediction] = name
    return {p: out[p] for p in reference.PREDICTIONS if p in out}


@st.cache_data(max_entries=16, show_spinner=False)
def prediction_weights(name: str, variance: str) -> dict[str, np.ndarray]:
    """prediction -> how many times more the bound weighs the ε error at paper's t = 2 … T than that simple loss
    does, (T − 1,): D·(eq. 12 weight) over reference.loss_weight_on_eps."""
    ckpt = checkpoint(name)
    bound_weight = reference.eps_weight_over_simple(ckpt.schedule, variance, _held_out(name, 1)[0].numel())
    return {p: (bound_weight / reference.loss_weight_on_eps(ckpt.schedule, p))[1:].numpy()
            for p in reference.PREDICTIONS}


@st.cache_data(max_entries=32, show_spinner=False)
def sample_quality(name: str, n: int, seed: int, sampler: str, ddim_steps: int) -> dict:
    """n samples of a shipped model and their quality, measured: for 2-D points the sliced Wasserstein distance to
    n held-out points and the share on the data's support (reference.evaluate); for digits the classifier's
    confidence, with its standard error."""
    out = samples(name, sampler, n, seed, ddim_steps, "trailing", 0.0, "fixed_large", frames=2)
    x = torch.from_numpy(out["x0"])
    if is_image_model(name):
        return {"x0": out["x0"], "seconds": out["seconds"], **quality.digit_quality(x, digits_judge())}
    heldout = _held_out(name, n)
    return {"x0": out["x0"], "seconds": out["seconds"],
            "sliced_wasserstein": quality.sliced_wasserstein(x, heldout, seed=seed),
            "support_precision": quality.support_precision(x, heldout)}
