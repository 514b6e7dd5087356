"""Gaussian data x0 ~ N(μ, s²I), for which the optimal ε-predictor and the exact likelihood are known in closed form.

It is the lab's independent check of the bound: with this model, vlb_terms must sit just above the exact NLL.
`posterior_on_grid` is the independent check of the posterior (eqs. 6–7): Bayes' rule on a 1-D grid, no algebra.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .posterior import q_posterior_mean_variance
from .losses import gaussian_log_likelihood
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


@dataclass(frozen=True)
class GridPosterior:
    """q(x_{t-1} | x_t, x_0) for 1-D x on a grid, float64."""

    grid: torch.Tensor  # (n,) values of x_{t-1}
    density: torch.Tensor  # (n,), integrating to 1 over the grid (trapezoid rule)
    mean: float  # ∫ x·density dx on the grid
    variance: float  # ∫ (x − mean)²·density dx on the grid


def _check_1d_case(x0: float, x_t: float, t: int, schedule: Schedule, n: int) -> None:
    if isinstance(t, bool) or not isinstance(t, int):
        raise ValueError(f"t must be an int (code's 0-indexed timestep); got {type(t).__name__}")
    if t == 0:
        raise ValueError("at the paper's t = 1 (code's t = 0) q(x_0 | x_0) is a point mass, so the posterior is the "
                         "point x0 (β̃_1 = 0) and has no density to put on a grid; choose the paper's t ≥ 2")
    if not 1 <= t < schedule.T:
        raise ValueError(f"t must lie in [1, T-1] = [1, {schedule.T - 1}] (0-indexed; the paper's 2 … {schedule.T}); "
                         f"got {t}")
    for name, value in (("x0", x0), ("x_t", x_t)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number; got {value!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 3:
        raise ValueError(f"n (grid points) must be an integer of at least 3; got {n!r}")


def posterior_on_grid(x0: float, x_t: float, t: int, schedule: Schedule, n: int = 2001,
                      width: float = 10.0) -> GridPosterior:
    """q(x_{t-1} | x_t, x_0) for 1-D data by Bayes' rule on a grid, using none of the algebra behind eqs. 6–7:

        q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) · q(x_{t-1} | x_0)

    (the chain is Markov, so q(x_t | x_{t-1}, x_0) = q(x_t | x_{t-1})), with q(x_t | x_{t-1}) = N(√α_t·x_{t-1}, β_t)
    (eq. 2) and q(x_{t-1} | x_0) = N(√ᾱ_{t-1}·x0, 1 − ᾱ_{t-1}) (eq. 4), normalised numerically.

    1. A first grid from the lower to the higher of the two factors' peaks in x_{t-1} (x_t/√α_t and √ᾱ_{t-1}·x0), ±
       `width` times the narrower factor's standard deviation s (√(β_t/α_t) or √(1 − ᾱ_{t-1})): a product of
       Gaussians peaks between its factors' peaks and is narrower than either.
    2. Twice: a new grid of n points around the last grid's highest point, ± (width·s + one old spacing), so that the
       posterior is sampled finely even when the two peaks lie far apart.
    3. On each grid, the two log densities added (in logs, so that the far tails do not underflow).
    4. exp(· − max), divided by its trapezoid-rule integral.

    x0, x_t: numbers; t: code's 1 … T − 1 (the paper's 2 … T). At the paper's t = 1, q(x_0 | x_0) is a point mass, so
    the posterior is one too: ValueError. The log densities lose about |log p|·1e-16 in float64, so inputs far out in
    the tails (x_t ~ 1e6) give the density a visible error.
    """
    _check_1d_case(x0, x_t, t, schedule, n)
    alpha, beta, alpha_bar_prev = (float(schedule.alphas[t]), float(schedule.betas[t]),
                                   float(schedule.alpha_bar_prev[t]))

    def log_p(grid: torch.Tensor) -> torch.Tensor:  # 3. log q(x_t | x_{t-1} = grid) + log q(x_{t-1} = grid | x0)
        log_likelihood = gaussian_log_likelihood(torch.full_like(grid, x_t), math.sqrt(alpha) * grid, math.log(beta))
        log_prior = gaussian_log_likelihood(grid, math.sqrt(alpha_bar_prev) * x0 * torch.ones_like(grid),
                                            math.log(1 - alpha_bar_prev))
        return log_likelihood + log_prior

    # 1. With β_T = 1 (zero terminal SNR), α_T = 0 and q(x_T | x_{T-1}) does not depend on x_{T-1}.
    peaks, stds = [math.sqrt(alpha_bar_prev) * x0], [math.sqrt(1 - alpha_bar_prev)]
    if alpha > 0:
        peaks.append(x_t / math.sqrt(alpha))
        stds.append(math.sqrt(beta / alpha))
    half = width * min(stds)
    grid = torch.linspace(min(peaks) - half, max(peaks) + half, n, dtype=torch.float64)
    for _ in range(2):  # 2.
        mode, spacing = float(grid[log_p(grid).argmax()]), float(grid[1] - grid[0])
        grid = torch.linspace(mode - half - spacing, mode + half + spacing, n, dtype=torch.float64)
    # 4. Normalise numerically.
    logs = log_p(grid)
    density = torch.exp(logs - logs.max())
    density = density / torch.trapezoid(density, grid)
    mean = float(torch.trapezoid(grid * density, grid))
    return GridPosterior(grid, density, mean, float(torch.trapezoid((grid - mean) ** 2 * density, grid)))


@dataclass(frozen=True)
class PosteriorCheck:
    """Eq. 7's N(μ̃_t, β̃_t) and Bayes' rule on the same 1-D grid, and how far apart they are."""

    grid: torch.Tensor  # (n,)
    bayes: torch.Tensor  # (n,) posterior_on_grid's density
    closed_form: torch.Tensor  # (n,) the density of N(μ̃_t, β̃_t) (eqs. 6–7)
    posterior_mean: float  # μ̃_t(x_t, x0), eq. 7
    posterior_variance: float  # β̃_t, eq. 7
    grid_mean: float
    grid_variance: float
    max_abs_diff: float  # max over the grid of |bayes − closed_form|
    peak: float  # the closed form's largest density, to read max_abs_diff against


def posterior_check_1d(x0: float, x_t: float, t: int, schedule: Schedule, n: int = 2001) -> PosteriorCheck:
    """q(x_{t-1} | x_t, x_0) from eqs. 6–7 (`q_posterior_mean_variance`) against Bayes' rule on a grid
    (`posterior_on_grid`), for one 1-D (x0, x_t) at code's t in 1 … T − 1 (the paper's 2 … T)."""
    on_grid = posterior_on_grid(x0, x_t, t, schedule, n)
    x0_, x_t_ = (torch.tensor([[v]], dtype=torch.float64) for v in (x0, x_t))  # (B, *S) = (1, 1)
    mean, variance, _ = q_posterior_mean_variance(x0_, x_t_, t, schedule)
    closed_form = torch.exp(gaussian_log_likelihood(on_grid.grid, mean.flatten(), math.log(variance)))
    diff = (on_grid.density - closed_form).abs()
    return PosteriorCheck(on_grid.grid, on_grid.density, closed_form, float(mean), float(variance), on_grid.mean,
                          on_grid.variance, float(diff.max()), float(closed_form.max()))
