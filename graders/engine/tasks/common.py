"""What several assignments' task specs share: float64 copies of inputs, the clamped stand-in, the stand-in Gaussian
data, and the spy that reads a per-batch model-call log."""
from __future__ import annotations

import torch

from ..cases import Case
from ..stand_ins import GaussianEps

GAUSSIAN = {"mu": 0.5, "std": 0.5}  # sampling data N(0.5, 0.5²) with its exact ε-predictor stays bounded


def f64(*xs):
    """Each floating tensor of xs in float64; everything else as it is."""
    return tuple(x.to(torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in xs)


def clamped(eps_fn, T: int):
    """The stand-in as the spy calls it: t clamped into [0, T−1], so a wrong formula shifted by one still runs."""
    return lambda x, t: eps_fn(x, t.clamp(0, T - 1))


def gaussian(case: Case) -> GaussianEps:
    """The exact ε-predictor for data N(0.5, 0.5²) on the case's schedule."""
    return GaussianEps(case.schedule.alpha_bar, **GAUSSIAN)


def batch_t_spy(case: Case, calls: list[list[int]]):
    """For a function that calls the model once on the whole batch: was it called with the batch's own t?"""
    seen = sorted(t for call in calls for t in call)
    if seen == sorted(case.t) or not seen:
        return None
    if seen == sorted(t + 1 for t in case.t):
        return f"the model was called with t = {seen}, but the batch's t is {sorted(case.t)}", "model_t_plus_1"
    return None
