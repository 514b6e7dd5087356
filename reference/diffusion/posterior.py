"""The forward process's posterior q(x_{t-1} | x_t, x_0) (Ho et al. 2020, eqs. 6–7).

x0, x_t: (B, *S); t: (B,) long, 0-indexed (paper's t is t + 1).
"""
from __future__ import annotations

import torch

from .schedules import Schedule
from .timesteps import Timestep, check_same_shape, check_t, extract


def q_posterior_mean_variance(x0: torch.Tensor, x_t: torch.Tensor, t: Timestep, schedule: Schedule):
    """Mean μ̃_t(x_t, x0), variance β̃_t and clipped log variance of q(x_{t-1} | x_t, x_0) (eqs. 6–7)."""
    check_t(t, x_t, schedule.T)
    check_same_shape(x_t=x_t, x0=x0)
    mean = extract(schedule.posterior_mean_coef1, t, x_t) * x0 + extract(schedule.posterior_mean_coef2, t, x_t) * x_t
    return (mean, extract(schedule.posterior_variance, t, x_t),
            extract(schedule.posterior_log_variance_clipped, t, x_t))
