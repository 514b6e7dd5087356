"""Ancestral DDPM sampling (Ho et al. 2020, Algorithm 2) and DDIM (Song et al. 2021, eq. 12).

Each sampler is a generator of steps (`ddpm_steps`, `ddim_steps`), which the lab's pages read to show progress and
x̂0. `sample_ddpm` / `sample_ddim` run one to the end and return the sample; `ddpm_trajectory` / `ddim_trajectory`
also return the path. The steps use one int t for the whole batch, the samplers' private shortcut (see
reference/diffusion/timesteps.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from .guidance import condition
from .options import DDIM_SPACINGS, Prediction, Spacing, Variance, check_option
from .p import Model, model_predictions, p_mean_variance, predict_eps_from_x0
from .schedules import Schedule
from .timesteps import Timestep, check_t, extract

Progress = Callable[[int, int], None]


@dataclass
class Step:
    """One reverse step: from x_t at (0-indexed) timestep t to x_prev, with the model's x̂0 and ε along the way."""

    t: Timestep
    x_t: torch.Tensor
    x0_pred: torch.Tensor
    eps_pred: torch.Tensor
    x_prev: torch.Tensor


@dataclass
class Trajectory:
    """The whole reverse process: `timesteps[i]` is the t at which `x_t[i]` was denoised; `x_t[-1]` is the sample."""

    timesteps: list[int]
    x_t: torch.Tensor  # (S + 1, B, *shape)
    x0_pred: torch.Tensor  # (S, B, *shape)


def _start(shape, schedule: Schedule, x_T, generator, device, dtype):
    if x_T is not None:
        if tuple(x_T.shape) != tuple(shape):
            raise ValueError(f"x_T must have shape {tuple(shape)}; got {tuple(x_T.shape)}")
        return x_T
    if len(shape) < 1 or any(int(s) < 1 for s in shape):
        raise ValueError(f"shape must be (B, *S) with every size at least 1; got {tuple(shape)}")
    device = device if generator is None else generator.device
    return torch.randn(tuple(shape), generator=generator, device=device, dtype=dtype)


def _noise_source(noises, n_steps: int, x: torch.Tensor, generator):
    """A function index -> z, from the explicit `noises` (n_steps, *x.shape) or drawn from `generator`.

    `noises` may also be that function itself, for a batch whose examples draw their z from generators of their
    own (lab_app/server/compute batches several students' requests into one run, each with its own seed)."""
    if callable(noises):
        return noises
    if noises is not None:
        if tuple(noises.shape) != (n_steps, *x.shape):
            raise ValueError(f"noises must have shape {(n_steps, *x.shape)}; got {tuple(noises.shape)}")
        return lambda i: noises[i]
    return lambda i: torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def ddpm_steps(model: Model, x_T: torch.Tensor, schedule: Schedule, *, noises: torch.Tensor | None = None,
               generator: torch.Generator | None = None, variance: Variance = "fixed_large",
               clip_x0: float | None = None, prediction: Prediction = "eps", y: torch.Tensor | None = None,
               guidance: float = 0.0) -> Iterator[Step]:
    """Algorithm 2, one step at a time, for t = T−1 … 0 (paper's T … 1), for a model predicting `prediction`.

    x_{t-1} = μ_θ(x_t, t) + σ_t·z with z = noises[t] (or a draw from `generator`) for t > 0, and no noise at
    t = 0. σ_t² = β_t ("fixed_large") or β̃_t ("fixed_small"). A class-conditional model samples class y (B,)
    with guidance scale w = `guidance` (reference/diffusion/guidance.py, Ho & Salimans eq. 6), or unconditionally
    without y.
    """
    model = condition(model, y, guidance)
    z_at = _noise_source(noises, schedule.T, x_T, generator)
    x_t = x_T
    with torch.no_grad():
        for t in reversed(range(schedule.T)):
            p = p_mean_variance(model, x_t, t, schedule, variance=variance, clip_x0=clip_x0, prediction=prediction)
            x_prev = p.mean + p.variance**0.5 * z_at(t) if t > 0 else p.mean
            yield Step(t, x_t, p.x0_pred, p.eps_pred, x_prev)
            x_t = x_prev


def ddim_timesteps(T: int, steps: int, spacing: Spacing = "trailing") -> list[int]:
    """The sub-sequence τ of Song et al. §4.2: `steps` distinct 0-indexed timesteps of T, ascending.

    The spacings of Lin et al. (2024, Table 2), as diffusers' DDIMScheduler names them:
    - "trailing": round(j·T/steps) − 1 for j = 1 … steps. Always ends at T − 1 (the paper's t = T, where x_T is
      pure noise); its smallest step is round(T/steps) − 1.
    - "leading": 0, k, 2k, … with k = T // steps. Ends at (steps − 1)·k ≤ T − k, short of T − 1 unless steps = T;
      above T/2 steps k = 1, so it is 0 … steps − 1 and never visits the top T − steps timesteps.
    - "linspace": round(i·(T − 1)/(steps − 1)) for i = 0 … steps − 1 (just 0 for one step): 0 and T − 1 both in.
    Before rounding, neighbours lie at least 1 apart (T/steps, k, (T − 1)/(steps − 1)), so the steps stay distinct
    up to steps = T, where every spacing gives 0 … T − 1. Halves round to even (Python's round on the exact
    fraction); diffusers works in floats, so at an exact half it may round the other way.
    """
    check_option("spacing", spacing, DDIM_SPACINGS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an integer in [1, T] = [1, {T}]; got {steps!r}")
    if spacing == "trailing":
        return [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    if spacing == "leading":
        return [i * (T // steps) for i in range(steps)]
    return [round(i * (T - 1) / (steps - 1)) for i in range(steps)] if steps > 1 else [0]


def ddim_reverse_step(model: Model, x_t: torch.Tensor, t: Timestep, t_prev: Timestep, schedule: Schedule, eta: float = 0.0,
                      noise: torch.Tensor | None = None, clip_x0: float | None = None, prediction: Prediction = "eps") -> Step:
    """One DDIM step (Song et al. 2021, eq. 12) from x_t at t to x_prev at t_prev < t; t_prev = −1 is the last step.

    1. ε_θ(x_t, t) and x̂0 from the model, whatever it predicts (`model_predictions`; eq. 15 of Ho et al.).
    2. σ = η·√((1 − ᾱ_prev)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev) (Song et al. eq. 16), with ᾱ_prev = 1 at t_prev = −1.
    3. x_prev = √ᾱ_prev·x̂0 + √(1 − ᾱ_prev − σ²)·ε_θ + σ·z, z = `noise` (needed only when σ > 0).
    t and t_prev are ints (one step for the whole batch) or (B,) long tensors (a step per example).
    """
    check_t(t, x_t, schedule.T)
    if not isinstance(t_prev, bool) and isinstance(t_prev, (int, torch.Tensor)) and (
            (torch.as_tensor(t_prev) < -1).any() or (torch.as_tensor(t_prev) >= torch.as_tensor(t)).any()):
        raise ValueError(f"t_prev must lie in [−1, t − 1] (−1: the last step, to the data); got t_prev = {t_prev} "
                         f"for t = {t}")
    check_t(t_prev + 1, x_t, schedule.T)  # its type, shape and device
    if not 0 <= eta <= 1:
        raise ValueError(f"eta must lie in [0, 1]; got {eta}")
    alpha_bar = extract(schedule.alpha_bar, t, x_t)
    alpha_bar_prev = extract(torch.cat([schedule.alpha_bar.new_ones(1), schedule.alpha_bar]), t_prev + 1, x_t)  # 1 at −1
    eps_pred, x0_pred = model_predictions(model, x_t, t, schedule, prediction)  # 1.
    if clip_x0 is not None:
        x0_pred = x0_pred.clamp(-clip_x0, clip_x0)
        eps_pred = predict_eps_from_x0(x_t, t, x0_pred, schedule)
    sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)) ** 0.5  # 2.
    x_prev = alpha_bar_prev**0.5 * x0_pred + (1 - alpha_bar_prev - sigma**2) ** 0.5 * eps_pred  # 3.
    if eta > 0:
        if noise is None:
            raise ValueError("eta > 0 needs `noise`, the z of this step")
        x_prev = x_prev + sigma * noise
    return Step(t, x_t, x0_pred, eps_pred, x_prev)


def ddim_steps(model: Model, x_T: torch.Tensor, schedule: Schedule, timesteps: list[int], eta: float = 0.0, *,
               noises: torch.Tensor | None = None, generator: torch.Generator | None = None,
               clip_x0: float | None = None, prediction: Prediction = "eps", y: torch.Tensor | None = None,
               guidance: float = 0.0) -> Iterator[Step]:
    """DDIM over the ascending sub-sequence `timesteps`, run from its end by `ddim_reverse_step`; the step from
    timesteps[i] goes to timesteps[i − 1] (to −1, the data, for i = 0) with z = noises[i].
    η = 0 is deterministic; η = 1 with every timestep is DDPM with σ² = β̃. Class y and guidance as in `ddpm_steps`.
    """
    if not timesteps or any(not 0 <= s < schedule.T for s in timesteps) or sorted(set(timesteps)) != list(timesteps):
        raise ValueError(f"timesteps must be strictly increasing values in [0, {schedule.T - 1}]; got {timesteps}")
    if not 0 <= eta <= 1:
        raise ValueError(f"eta must lie in [0, 1]; got {eta}")
    model = condition(model, y, guidance)
    z_at = _noise_source(noises, len(timesteps), x_T, generator)
    x_t = x_T
    with torch.no_grad():
        for i in reversed(range(len(timesteps))):
            t_prev = timesteps[i - 1] if i > 0 else -1
            step = ddim_reverse_step(model, x_t, timesteps[i], t_prev, schedule, eta, z_at(i) if eta > 0 else None, clip_x0,
                             prediction)
            yield step
            x_t = step.x_prev


def _run(steps: Iterator[Step], n_steps: int, progress: Progress | None) -> tuple[torch.Tensor, Trajectory]:
    """Run a step generator to its end: (the sample, its Trajectory)."""
    timesteps, xs, x0_preds = [], [], []
    x = None
    for i, step in enumerate(steps):
        timesteps.append(step.t)
        xs.append(step.x_t)
        x0_preds.append(step.x0_pred)
        x = step.x_prev
        if progress is not None:
            progress(i + 1, n_steps)
    return x, Trajectory(timesteps, torch.stack(xs + [x]), torch.stack(x0_preds))


def _last(steps: Iterator[Step], n_steps: int, progress: Progress | None) -> torch.Tensor:
    """Run a step generator to its end, holding only the current x: the sample."""
    x = None
    for i, step in enumerate(steps):
        x = step.x_prev
        if progress is not None:
            progress(i + 1, n_steps)
    return x


def ddpm_trajectory(model: Model, shape, schedule: Schedule, *, x_T: torch.Tensor | None = None,
                    noises: torch.Tensor | None = None, generator: torch.Generator | None = None,
                    variance: Variance = "fixed_large", clip_x0: float | None = None, progress: Progress | None = None,
                    device=None, dtype=torch.float32, prediction: Prediction = "eps", y: torch.Tensor | None = None,
                    guidance: float = 0.0) -> tuple[torch.Tensor, Trajectory]:
    """`sample_ddpm`, also returning every x_t and x̂0 along the way: (x0, Trajectory)."""
    x_T = _start(shape, schedule, x_T, generator, device, dtype)
    steps = ddpm_steps(model, x_T, schedule, noises=noises, generator=generator, variance=variance, clip_x0=clip_x0,
                       prediction=prediction, y=y, guidance=guidance)
    return _run(steps, schedule.T, progress)


def sample_ddpm(model: Model, shape, schedule: Schedule, *, x_T: torch.Tensor | None = None,
                noises: torch.Tensor | None = None, generator: torch.Generator | None = None,
                variance: Variance = "fixed_large", clip_x0: float | None = None, progress: Progress | None = None,
                device=None, dtype=torch.float32, prediction: Prediction = "eps", y: torch.Tensor | None = None,
                guidance: float = 0.0) -> torch.Tensor:
    """Draw samples x0 of `shape` (B, *S) by Algorithm 2 (`ddpm_trajectory` also returns the path).

    Reproducible bit for bit given x_T and noises (T, *shape); otherwise both are drawn from `generator`
    (on its device) or from torch's global generator on `device`. `progress(done, T)` is called after each step.
    A class-conditional model draws class y (B,) with guidance scale `guidance` (see `ddpm_steps`).
    """
    x_T = _start(shape, schedule, x_T, generator, device, dtype)
    steps = ddpm_steps(model, x_T, schedule, noises=noises, generator=generator, variance=variance, clip_x0=clip_x0,
                       prediction=prediction, y=y, guidance=guidance)
    return _last(steps, schedule.T, progress)


def _ddim_run(model: Model, shape, schedule: Schedule, steps: int, eta: float, spacing: Spacing,
              timesteps: list[int] | None, x_T, noises, generator, clip_x0, device, dtype, prediction, y, guidance):
    timesteps = ddim_timesteps(schedule.T, steps, spacing) if timesteps is None else list(timesteps)
    x_T = _start(shape, schedule, x_T, generator, device, dtype)
    return ddim_steps(model, x_T, schedule, timesteps, eta, noises=noises, generator=generator, clip_x0=clip_x0,
                      prediction=prediction, y=y, guidance=guidance), len(timesteps)


def sample_ddim(model: Model, shape, schedule: Schedule, steps: int = 50, eta: float = 0.0, *,
                spacing: Spacing = "trailing", timesteps: list[int] | None = None, x_T: torch.Tensor | None = None,
                noises: torch.Tensor | None = None, generator: torch.Generator | None = None,
                clip_x0: float | None = None, progress: Progress | None = None, device=None, dtype=torch.float32,
                prediction: Prediction = "eps", y: torch.Tensor | None = None, guidance: float = 0.0) -> torch.Tensor:
    """Draw samples x0 of `shape` by DDIM over `steps` timesteps placed by `spacing` (see `ddim_timesteps`), or over
    the given ascending `timesteps`; class y (B,) and guidance scale `guidance` as in `ddpm_steps`."""
    run, n = _ddim_run(model, shape, schedule, steps, eta, spacing, timesteps, x_T, noises, generator, clip_x0, device,
                       dtype, prediction, y, guidance)
    return _last(run, n, progress)


def ddim_trajectory(model: Model, shape, schedule: Schedule, steps: int = 50, eta: float = 0.0, *,
                    spacing: Spacing = "trailing", timesteps: list[int] | None = None,
                    x_T: torch.Tensor | None = None, noises: torch.Tensor | None = None,
                    generator: torch.Generator | None = None, clip_x0: float | None = None,
                    progress: Progress | None = None, device=None, dtype=torch.float32, prediction: Prediction = "eps",
                    y: torch.Tensor | None = None, guidance: float = 0.0) -> tuple[torch.Tensor, Trajectory]:
    """`sample_ddim`, also returning every x_t and x̂0 along the way: (x0, Trajectory)."""
    run, n = _ddim_run(model, shape, schedule, steps, eta, spacing, timesteps, x_T, noises, generator, clip_x0, device,
                       dtype, prediction, y, guidance)
    return _run(run, n, progress)
