"""Gaussian data x0 ~ N(μ, s²I), for which the optimal ε-predictor and the exact likelihood are known in closed form.

It is the lab's independent check of the bound: with this model, vlb_terms must sit just above the exact NLL.
"""
from __future__ import annotations

import math

import torch

from .schedules import Schedule
from .timesteps import extract


class GaussianOptimalEps:
    """ε*(x_t, t) = E[ε | x_t] for x0 ~ N(mu, std²I): x_t ~ N(√ᾱ_t·μ, ᾱ_t·std² + 1 − ᾱ_t) and
    Cov(ε, x_t) = √(1 − ᾱ_t), so ε* = √(1 − ᾱ_t)·(x_t − √ᾱ_t·μ) / (ᾱ_t·std² + 1 − ᾱ_t)."""

    def __init__(self, mu: float, std: float, schedule: Schedule):
        if not std > 0:
            raise ValueError(f"std must be positive; got {std}")
        self.mu, self.std, self.schedule = mu, std, schedule

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        alpha_bar = extract(self.schedule.alpha_bar, t, x_t)  # (B, 1, …)
        return (1 - alpha_bar).sqrt() * (x_t - alpha_bar.sqrt() * self.mu) / (alpha_bar * self.std**2 + 1 - alpha_bar)


def gaussian_nll(x0: torch.Tensor, mu: float, std: float) -> torch.Tensor:
    """−log N(x0; μ, std²I) per example, (B,), in nats."""
    z = (x0 - mu) / std
    return (0.5 * z**2 + math.log(std) + 0.5 * math.log(2 * math.pi)).flatten(1).sum(1)
