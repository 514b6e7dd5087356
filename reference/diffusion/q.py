"""The forward process in one jump: q(x_t | x_0) (Ho et al. 2020, eq. 4).

x0, x_t, noise: (B, *S); t: (B,) long, 0-indexed (paper's t is t + 1); alpha_bar: the (T,) ᾱ of a schedule.
"""
from __future__ import annotations

import torch

from .schedules import Schedule
from .timesteps import Timestep, check_same_shape, check_t, extract


def q_mean_variance(x0: torch.Tensor, t: Timestep, schedule: Schedule) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean √ᾱ_t·x0 and variance (1 − ᾱ_t) of q(x_t | x_0) (eq. 4)."""
    check_t(t, x0, schedule.T)
    return extract(schedule.sqrt_alpha_bar, t, x0) * x0, extract(1 - schedule.alpha_bar, t, x0)


def diffuse(x0: torch.Tensor, t: Timestep, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, a draw from q(x_t | x_0) (eq. 4).

    The notebook's q_sample computes this with the same arguments; the reference names it apart, so that one name
    never means two functions and the students' copy holds no graded function (graders/nbgrader/leak_scan.py).
    alpha_bar is the (T,) ᾱ (a schedule's `alpha_bar`); the roots are taken on the whole table in its own dtype
    (float64 for a Schedule) before they are gathered at t.
    """
    if not isinstance(alpha_bar, torch.Tensor) or alpha_bar.dim() != 1:
        raise ValueError(f"alpha_bar must be a (T,) tensor; got {type(alpha_bar).__name__} "
                         f"of shape {tuple(getattr(alpha_bar, 'shape', ()))}")
    check_t(t, x0, len(alpha_bar))
    check_same_shape(x0=x0, eps=eps)
    return extract(alpha_bar.sqrt(), t, x0) * x0 + extract((1 - alpha_bar).sqrt(), t, x0) * eps
