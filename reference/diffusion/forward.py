"""The forward process one step at a time (Ho et al. 2020, eq. 2), beside its one jump (eq. 4).

q(x_t | x_{t-1}) = N(√(1 − β_t)·x_{t-1}, β_t I)   (eq. 2)
Composed from x_0, the steps give q(x_t | x_0) = N(√ᾱ_t·x0, (1 − ᾱ_t) I) (eq. 4): the chain and the jump draw x_t
from the same distribution. For contrast, `unscaled_step_sample` drops the √(1 − β_t): its variance grows as
Var x0 + Σ_{s≤t} β_s instead of staying near 1.

Code's t is 0-indexed (the paper's t is t + 1): `q_step_sample(x_prev, 0, …)` makes the paper's x_1 from x_0.
x0, x_prev, x_t, eps: (B, *S).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterator

import torch

from .schedules import Schedule
from .timesteps import Timestep, check_same_shape, check_t, extract


def q_step_sample(x_prev: torch.Tensor, t: Timestep, schedule: Schedule, eps: torch.Tensor) -> torch.Tensor:
    """x_t = √(1 − β_t)·x_{t-1} + √β_t·ε, a draw from q(x_t | x_{t-1}) (eq. 2).

    x_prev is x_{t-1}, (B, *S); t: int or (B,) long, 0-indexed (paper's t is t + 1), so t = 0 steps from x0.
    """
    check_t(t, x_prev, schedule.T)
    check_same_shape(x_prev=x_prev, eps=eps)
    return extract(schedule.alphas, t, x_prev) ** 0.5 * x_prev + extract(schedule.betas, t, x_prev) ** 0.5 * eps


def unscaled_step_sample(x_prev: torch.Tensor, t: Timestep, schedule: Schedule, eps: torch.Tensor) -> torch.Tensor:
    """x_t = x_{t-1} + √β_t·ε: eq. 2 without its √(1 − β_t), a chain that does not preserve variance (for contrast,
    not Ho et al.'s): Var x_t = Var x0 + Σ_{s≤t} β_s, which grows without bound."""
    check_t(t, x_prev, schedule.T)
    check_same_shape(x_prev=x_prev, eps=eps)
    return x_prev + extract(schedule.betas, t, x_prev) ** 0.5 * eps


def q_chain(x0: torch.Tensor, schedule: Schedule, generator: torch.Generator | None = None, *,
            variance_preserving: bool = True) -> Iterator[tuple[int, torch.Tensor]]:
    """Run x_0 → x_1 → … → x_T one step of eq. 2 at a time, yielding (t, x_t) for code's t = 0 … T − 1 (the paper's
    x_1 … x_T).

    Only the current x_t is held, so memory stays at one batch whatever T. A fresh ε ~ N(0, I) is drawn at every step
    from `generator` (which must live on x0's device), so the same seed gives the same chain, and a chain stopped at t
    agrees with a longer one up to t. variance_preserving=False steps by `unscaled_step_sample` instead.
    """
    if not isinstance(x0, torch.Tensor) or not x0.is_floating_point() or x0.dim() < 1:
        raise ValueError(f"x0 must be a floating-point (B, *S) tensor; got {type(x0).__name__} "
                         f"{getattr(x0, 'dtype', '')} of shape {tuple(getattr(x0, 'shape', ()))}")
    step = q_step_sample if variance_preserving else unscaled_step_sample
    x_t = x0
    for t in range(schedule.T):
        eps = torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)
        x_t = step(x_t, t, schedule, eps)  # x_{t-1} -> x_t (eq. 2)
        yield t, x_t


@dataclass(frozen=True)
class Moments:
    """Per-dimension mean and unbiased variance over a batch, with their Monte Carlo standard errors, all float64.

    Each field is (*S,) for one batch (`moments`), or (T, *S) along a chain (`chain_moments`: row t is code's t, the
    paper's x_{t+1}). `n` is the batch size B.
    """

    mean: torch.Tensor
    variance: torch.Tensor
    mean_se: torch.Tensor  # √(s²/B)
    variance_se: torch.Tensor  # √((m_4 − s⁴·(B − 3)/(B − 1))/B), m_4 the fourth central moment
    n: int


def moments(x: torch.Tensor) -> Moments:
    """Mean and unbiased variance s² of x (B, *S) over its batch dimension, per dimension, with standard errors
    √(s²/B) for the mean and √((m_4 − s⁴·(B − 3)/(B − 1))/B) for s², valid for any distribution with a finite fourth
    moment (so for the non-Gaussian toy data too). B must be at least 4."""
    if not isinstance(x, torch.Tensor) or x.dim() < 1:
        raise ValueError(f"x must be a (B, *S) tensor; got {type(x).__name__}")
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"moments need a batch of at least 4 examples to estimate their errors; got B = {n}")
    x = x.double()
    mean = x.mean(0)
    centred = x - mean
    variance = (centred**2).sum(0) / (n - 1)
    m4 = (centred**4).mean(0)
    variance_se = ((m4 - variance**2 * (n - 3) / (n - 1)).clamp(min=0) / n).sqrt()
    return Moments(mean, variance, (variance / n).sqrt(), variance_se, n)


def moments_gap(a: Moments, b: Moments) -> tuple[torch.Tensor, torch.Tensor]:
    """(a − b) for the mean and the variance, each in units of the difference's standard error √(se_a² + se_b²).

    For independent batches the gaps are about N(0, 1) when both batches come from one distribution. Batches noised
    from the same x0 are positively correlated, so the true error of a − b is smaller and the gaps read conservative.
    """
    return ((a.mean - b.mean) / (a.mean_se**2 + b.mean_se**2).sqrt(),
            (a.variance - b.variance) / (a.variance_se**2 + b.variance_se**2).sqrt())


def chain_moments(x0: torch.Tensor, schedule: Schedule, generator: torch.Generator | None = None, *,
                  variance_preserving: bool = True) -> Moments:
    """`moments` of x_t at every t along `q_chain`, each field (T, *S), row t being code's t (the paper's x_{t+1}).

    Holds one batch and the (T, *S) moments, never the T batches: memory O(B·D + T·D) for D dimensions.
    """
    rows = [moments(x_t) for _, x_t in q_chain(x0, schedule, generator, variance_preserving=variance_preserving)]
    return Moments(*(torch.stack([getattr(r, f.name) for r in rows]) for f in fields(Moments) if f.name != "n"),
                   n=x0.shape[0])


def marginal_moments(x0_mean: torch.Tensor, x0_variance: torch.Tensor, schedule: Schedule, *,
                     variance_preserving: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact mean and variance of x_t at every t, (T, *S) each in float64, for data of per-dimension mean m and
    variance v, (*S,) each.

    Eq. 2 (the same as eq. 4): √ᾱ_t·m and ᾱ_t·v + 1 − ᾱ_t, so data of unit variance keep unit variance at every t.
    Unscaled (`variance_preserving=False`): m and v + Σ_{s≤t} β_s.
    """
    m = torch.as_tensor(x0_mean, dtype=torch.float64).cpu()
    v = torch.as_tensor(x0_variance, dtype=torch.float64).cpu()
    if m.shape != v.shape:
        raise ValueError(f"x0_mean and x0_variance must have one shape; got {tuple(m.shape)} and {tuple(v.shape)}")
    if (v < 0).any():
        raise ValueError(f"x0_variance must not be negative; got {float(v.min()):g}")
    per_t = (-1, *[1] * m.dim())  # (T, 1, …) against (*S,)
    if variance_preserving:
        alpha_bar = schedule.alpha_bar.reshape(per_t)
        return alpha_bar.sqrt() * m, alpha_bar * v + 1 - alpha_bar
    return m.expand(schedule.T, *m.shape).clone(), v + schedule.betas.cumsum(0).reshape(per_t)


def standardize(x0: torch.Tensor) -> torch.Tensor:
    """x0 (B, *S) shifted and scaled per dimension to mean 0 and unbiased variance 1 over the batch."""
    if x0.dim() < 1 or x0.shape[0] < 2:
        raise ValueError(f"cannot standardise fewer than 2 examples; got shape {tuple(x0.shape)}")
    mean, std = x0.mean(0), x0.std(0)
    if (std == 0).any():
        raise ValueError("cannot standardise: a dimension of x0 is constant over the batch")
    return (x0 - mean) / std
