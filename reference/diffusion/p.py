"""The reverse step p_θ(x_{t-1} | x_t) (Ho et al. 2020, §3.2, eqs. 11 and 15) for a model of ε, x0 or v.

x_t, eps: (B, *S); t: (B,) long, 0-indexed (paper's t is t + 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .options import PREDICTIONS, Prediction, Variance, check_option
from .schedules import Schedule
from .timesteps import Timestep, check_t, extract, full_t

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # eps_model(x_t, t) -> its prediction, ε by default


def predict_x0_from_eps(x_t: torch.Tensor, t: Timestep, eps: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """x̂0 = (x_t − √(1 − ᾱ_t)·ε) / √ᾱ_t, eq. 4 solved for x0 (eq. 15)."""
    return (x_t - extract(schedule.sqrt_one_minus_alpha_bar, t, x_t) * eps) / extract(schedule.sqrt_alpha_bar, t, x_t)


def predict_eps_from_x0(x_t: torch.Tensor, t: Timestep, x0: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """ε = (x_t − √ᾱ_t·x0) / √(1 − ᾱ_t), eq. 4 solved for ε."""
    return (x_t - extract(schedule.sqrt_alpha_bar, t, x_t) * x0) / extract(schedule.sqrt_one_minus_alpha_bar, t, x_t)


def v_from_x0_eps(x0: torch.Tensor, eps: torch.Tensor, t: Timestep, schedule: Schedule) -> torch.Tensor:
    """v = √ᾱ_t·ε − √(1 − ᾱ_t)·x0, the v-prediction target (Salimans & Ho 2022, §4)."""
    return extract(schedule.sqrt_alpha_bar, t, x0) * eps - extract(schedule.sqrt_one_minus_alpha_bar, t, x0) * x0


def predict_x0_from_v(x_t: torch.Tensor, t: Timestep, v: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """x0 = √ᾱ_t·x_t − √(1 − ᾱ_t)·v."""
    return extract(schedule.sqrt_alpha_bar, t, x_t) * x_t - extract(schedule.sqrt_one_minus_alpha_bar, t, x_t) * v


def predict_eps_from_v(x_t: torch.Tensor, t: Timestep, v: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """ε = √(1 − ᾱ_t)·x_t + √ᾱ_t·v."""
    return extract(schedule.sqrt_one_minus_alpha_bar, t, x_t) * x_t + extract(schedule.sqrt_alpha_bar, t, x_t) * v


def model_predictions(model: Model, x_t: torch.Tensor, t: Timestep, schedule: Schedule,
                      prediction: Prediction = "eps") -> tuple[torch.Tensor, torch.Tensor]:
    """(ε̂, x̂0) at (x_t, t) from a model that outputs ε ("eps"), x0 ("x0") or v ("v"): its output is one of them, or
    v, and eq. 4 gives the other (eq. 15 for x̂0 from ε̂; for v, x0 = √ᾱ_t·x_t − √(1 − ᾱ_t)·v and
    ε = √(1 − ᾱ_t)·x_t + √ᾱ_t·v)."""
    check_option("prediction", prediction, PREDICTIONS)
    out = model(x_t, full_t(t, x_t))
    if out.shape != x_t.shape:
        raise ValueError(f"model(x_t, t) must return the shape of x_t {tuple(x_t.shape)}; got {tuple(out.shape)}")
    if prediction == "eps":
        return out, predict_x0_from_eps(x_t, t, out, schedule)
    if prediction == "x0":
        return predict_eps_from_x0(x_t, t, out, schedule), out
    return predict_eps_from_v(x_t, t, out, schedule), predict_x0_from_v(x_t, t, out, schedule)


@dataclass
class PMeanVariance:
    """p_θ(x_{t-1} | x_t) = N(mean, variance), with the ε and x̂0 predictions behind it."""

    mean: torch.Tensor
    variance: torch.Tensor  # (B, 1, …), or 0-dim for the samplers' int t
    log_variance: torch.Tensor
    eps_pred: torch.Tensor
    x0_pred: torch.Tensor


def p_mean_variance(model: Model, x_t: torch.Tensor, t: Timestep, schedule: Schedule,
                    variance: Variance = "fixed_large", clip_x0: float | None = None,
                    prediction: Prediction = "eps") -> PMeanVariance:
    """Mean and variance of p_θ(x_{t-1} | x_t) for a model `eps_model(x_t, t)` that predicts ε, x0 or v (`prediction`).

    1.–2. ε_θ(x_t, t) and x̂0 from the model (`model_predictions`; eq. 15 for an ε-model), x̂0 clipped to
       [−clip_x0, clip_x0] when given (images live in [−1, 1]).
    3. μ_θ = μ̃_t(x_t, x̂0) (eq. 7), which without clipping equals eq. 11:
       (x_t − β_t/√(1 − ᾱ_t)·ε_θ)/√α_t.
    4. σ_t² = β_t ("fixed_large") or β̃_t ("fixed_small").
    """
    check_t(t, x_t, schedule.T)
    var_arr, log_var_arr = schedule.reverse_variance(variance)
    eps_pred, x0_pred = model_predictions(model, x_t, t, schedule, prediction)  # 1.–2.
    if clip_x0 is not None:
        x0_pred = x0_pred.clamp(-clip_x0, clip_x0)
    mean = (extract(schedule.posterior_mean_coef1, t, x_t) * x0_pred
            + extract(schedule.posterior_mean_coef2, t, x_t) * x_t)  # 3.
    return PMeanVariance(mean, extract(var_arr, t, x_t), extract(log_var_arr, t, x_t), eps_pred, x0_pred)  # 4.
