"""The only module with st.cache_* decorators: models by checkpoint name, arrays by primitive arguments.

Each cached function calls the reference and hands back NumPy arrays for lab_app/figures.py. A schedule travels as
a `ScheduleSpec`, a tuple of primitives: ("linear", T, (("beta_end", 0.02),), zero_terminal_snr),
("list", text) for a typed β list or ("file", filename, data) for an upload.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import streamlit as st
import torch

import reference
from reference import checkpoints, data
from reference.train import TOY_HELDOUT_SEED

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


@st.cache_resource(show_spinner=False)
def digits_split() -> data.DigitsSplit:
    """The digits' fixed train/test split, (N, 1, 8, 8) in [−1, 1]."""
    return data.load_digits_split()


def _q_sample(x0: torch.Tensor, spec: ScheduleSpec, t: int, seed: int) -> np.ndarray:
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return reference.q_sample(x0, t, build_schedule(spec).to(dtype=torch.float32), noise).numpy()


@st.cache_data(max_entries=128, show_spinner=False)
def noised_toy(spec: ScheduleSpec, name: str, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) (eq. 4) for n points of a toy set, (n, 2); t is code's 0-indexed timestep."""
    return _q_sample(data.make_toy(name, n, seed), spec, t, seed)


@st.cache_data(max_entries=128, show_spinner=False)
def noised_digits(spec: ScheduleSpec, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) for the first n held-out digits, (n, 8, 8); t is code's 0-indexed timestep."""
    return _q_sample(digits_split().x_test[:n], spec, t, seed)[:, 0]


@st.cache_resource(show_spinner=False)
def checkpoint(name: str) -> checkpoints.Checkpoint:
    """A shipped model in eval mode on the lab's device, loaded once per name and never mutated."""
    return checkpoints.load_checkpoint(name, device=reference.default_device())


def is_image_model(name: str) -> bool:
    """Whether a checkpoint models the 8×8 digits (images in [−1, 1]) rather than 2-D points."""
    return checkpoint(name).manifest["data"] == "digits"


def _held_out(name: str, n: int) -> torch.Tensor:
    """n held-out examples of the checkpoint's data: digits' test split, or toy points from an unused seed."""
    ckpt = checkpoint(name)
    if is_image_model(name):
        return digits_split().x_test[:n]
    return data.make_toy(ckpt.manifest["data"], n, seed=TOY_HELDOUT_SEED)


@st.cache_data(max_entries=32, show_spinner=False)
def held_out(name: str, n: int) -> np.ndarray:
    """n held-out examples of a checkpoint's data, (n, *S)."""
    return _held_out(name, n).numpy()


def _decoding(name: str) -> dict:
    """Digits live on [−1, 1] and an 8-bit grid: clip x̂0 and use the discrete decoder (eq. 13)."""
    if is_image_model(name):
        return {"clip_x0": 1.0}
    return {"clip_x0": None}


# DDIM from t = T: the shipped schedules end at ᾱ_T ≈ 2.4e-9, so x̂0 = (x_T − √(1 − ᾱ_T)·ε_θ)/√ᾱ_T (eq. 15)
# magnifies the model's ε error about 20 000-fold at the first step of trailing spacing. Every toy set lies within
# ±2.2, so DDIM clips the toys' x̂0 to ±TOY_DDIM_CLIP as it clips the digits' to their range.
TOY_DDIM_CLIP = 4.0


def ddim_clip(name: str) -> float:
    """The range DDIM clips a shipped model's x̂0 to (see TOY_DDIM_CLIP)."""
    return _decoding(name)["clip_x0"] or TOY_DDIM_CLIP


@st.cache_data(max_entries=32, show_spinner=False)
def bound(name: str, n: int, variance: str, seed: int, _progress: Progress | None = None) -> dict:
    """Every term of the bound (eq. 5) on n held-out examples, summarised by `reference.summarize_bound`, with the
    total's standard error over the n examples."""
    ckpt = checkpoint(name)
    x0 = _held_out(name, n).to(reference.default_device())
    decoder = "discrete" if is_image_model(name) else "continuous"
    start = time.perf_counter()
    vlb = reference.vlb_terms(ckpt.model, x0, ckpt.schedule.to(x0.device), variance=variance, decoder=decoder,
                              seed=seed, progress=_progress, **_decoding(name))
    summary = reference.summarize_bound(vlb)
    return {"per_term": summary.per_term.cpu().numpy(), "cumulative": summary.cumulative.cpu().numpy(),
            "total": summary.total, "total_se": summary.total_se, "reconstruction": summary.reconstruction,
            "denoising": summary.denoising, "prior": summary.prior, "n": summary.n, "dims": vlb.dims,
            "seconds": time.perf_counter() - start}


@st.cache_data(max_entries=32, show_spinner=False)
def weight_over_simple(name: str, variance: str) -> np.ndarray:
    """D·(eq. 12 weight) for code t = 1 … T−1 (paper's 2 … T), (T − 1,)."""
    ckpt = checkpoint(name)
    dims = _held_out(name, 1)[0].numel()
    return reference.eps_weight_over_simple(ckpt.schedule, variance, dims)[1:].numpy()


@st.cache_data(max_entries=16, show_spinner=False)
def samples(name: str, sampler: str, n: int, seed: int, ddim_steps: int, spacing: str, eta: float, variance: str,
            frames: int = 101, _progress: Progress | None = None) -> dict:
    """Samples from a shipped model by DDPM (Algorithm 2) or DDIM (`ddim_steps` placed by `spacing`, see
    `reference.ddim_timesteps`), read step by step from the reference's step generator, keeping `frames` evenly
    spaced steps of the trajectory.

    Returns the final samples (n, *S), the trajectory's x_t (F + 1, n, *S, the sample last) and x0_pred (F, n, *S)
    at the 0-indexed `timesteps` (F,), the seconds sampling took and the device. `_progress(done, total, x0_pred)`
    sees every step's x̂0, for a live preview.
    """
    ckpt = checkpoint(name)
    device = reference.default_device()
    generator = torch.Generator(device=device).manual_seed(seed)
    sched = ckpt.schedule.to(device)
    x_T = torch.randn((n, *_held_out(name, 1).shape[1:]), generator=generator, device=device)
    if sampler == "DDPM":
        steps = reference.ddpm_steps(ckpt.model, x_T, sched, generator=generator, variance=variance,
                                     **_decoding(name))
        total = sched.T
    else:
        timesteps = reference.ddim_timesteps(sched.T, ddim_steps, spacing)
        steps = reference.ddim_steps(ckpt.model, x_T, sched, timesteps, eta, generator=generator,
                                     clip_x0=ddim_clip(name))
        total = len(timesteps)
    keep = set(np.linspace(0, total - 1, min(frames, total)).round().astype(int).tolist())
    kept_t, x_t, x0_pred = [], [], []
    start = time.perf_counter()
    for i, step in enumerate(steps):
        if i in keep:
            kept_t.append(step.t)
            x_t.append(step.x_t.cpu().numpy())
            x0_pred.append(step.x0_pred.cpu().numpy())
        if _progress is not None:
            _progress(i + 1, total, step.x0_pred)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    x0 = step.x_prev.cpu().numpy()
    return {"x0": x0, "timesteps": kept_t, "x_t": np.stack(x_t + [x0]), "x0_pred": np.stack(x0_pred),
            "seconds": seconds, "device": reference.device_name(device)}
