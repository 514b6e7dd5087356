"""Noise schedules β_1 … β_T and every coefficient derived from them, precomputed in float64.

Names: `betas` β, `alphas` α = 1 − β, `alpha_bar` ᾱ_t = Π_{s≤t} α_s (Ho et al. 2020, eq. 4), `alpha_bar_prev`
ᾱ_{t-1} with a 1 at t = 0, so that no code writes `alpha_bar[t - 1]` (which wraps round at t = 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch

from .options import SCHEDULE_NAMES, VARIANCES, ScheduleName, Variance, check_option



def _ends(T: int, beta_start: float | None, beta_end: float | None) -> tuple[float, float]:
    """β_1 and β_T: Ho et al.'s 1e-4 and 0.02 at T = 1000, both scaled by 1000/T for other T (improved-diffusion)."""
    start = 1e-4 * 1000 / T if beta_start is None else beta_start
    end = 0.02 * 1000 / T if beta_end is None else beta_end
    for label, value in (("beta_start", start), ("beta_end", end)):
        if not 0 < value < 1:
            hint = " (the default 0.02·1000/T passes 1 for T ≤ 20: give beta_end or a larger T)" if beta_end is None else ""
            raise ValueError(f"{label} must lie in (0, 1); got {value:g} at T={T}{hint}")
    return start, end


def _linear(T: int, beta_start: float | None = None, beta_end: float | None = None) -> torch.Tensor:
    """Ho et al.: β evenly spaced from β_1 to β_T."""
    start, end = _ends(T, beta_start, beta_end)
    return torch.linspace(start, end, T, dtype=torch.float64)


def _quadratic(T: int, beta_start: float | None = None, beta_end: float | None = None) -> torch.Tensor:
    """β evenly spaced in √β between the linear schedule's ends (Ho et al.'s "quad")."""
    start, end = _ends(T, beta_start, beta_end)
    return torch.linspace(math.sqrt(start), math.sqrt(end), T, dtype=torch.float64) ** 2


def _sigmoid(T: int, beta_start: float | None = None, beta_end: float | None = None) -> torch.Tensor:
    """β = β_1 + (β_T − β_1)·sigmoid(u), u evenly spaced on [−6, 6] (Xu et al. 2022, GeoDiff)."""
    start, end = _ends(T, beta_start, beta_end)
    return start + (end - start) * torch.sigmoid(torch.linspace(-6, 6, T, dtype=torch.float64))


def _cosine(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Nichol & Dhariwal 2021, eq. 17: ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2), β_t = 1 − ᾱ(t)/ᾱ(t−1), clipped."""
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)


BETA_BUILDERS = {"linear": _linear, "cosine": _cosine, "quadratic": _quadratic, "sigmoid": _sigmoid}  # name -> (T, **params) -> β


def _rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Lin et al. 2024, Algorithm 1: shift and scale √ᾱ so that ᾱ_T = 0 while ᾱ_1 is unchanged."""
    sqrt_ab = torch.cumprod(1 - betas, 0).sqrt()
    first, last = sqrt_ab[0].clone(), sqrt_ab[-1].clone()
    sqrt_ab = (sqrt_ab - last) * first / (first - last)
    alpha_bar = sqrt_ab**2
    alphas = torch.cat([alpha_bar[:1], alpha_bar[1:] / alpha_bar[:-1]])
    return 1 - alphas


def _check_betas(betas: torch.Tensor) -> torch.Tensor:
    """betas as a (T,) float64 CPU tensor, each β_t in (0, 1) and β_T in (0, 1].

    Errors name the bad β by the paper's t and, in brackets, code's index t − 1.
    """
    if not isinstance(betas, torch.Tensor):
        try:
            betas = torch.as_tensor(betas, dtype=torch.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"betas must be a 1-D sequence of numbers; {e}") from None
    betas = betas.detach().to("cpu", torch.float64)
    if betas.dim() != 1:
        raise ValueError(f"betas must be a 1-D (T,) sequence; got shape {tuple(betas.shape)}")
    if betas.numel() < 1:
        raise ValueError("T must be at least 1; got an empty betas sequence")
    T = len(betas)
    for t, b in enumerate(betas.tolist()):
        at = f"at the paper's t = {t + 1} (code's index {t})"
        if math.isnan(b):
            raise ValueError(f"betas must not be NaN; got NaN {at}")
        if b == 1 and t < T - 1:
            raise ValueError(f"only the last β may be 1; got 1 {at} of T = {T}: β_t = 1 sets ᾱ = 0 from t on, so "
                             "x_t would already be pure noise and x̂0 (eq. 15) undefined at every later step; only at "
                             "t = T is that the aim (zero terminal SNR)")
        if not 0 < b <= 1:
            raise ValueError(f"betas must lie in (0, 1), the last in (0, 1]; got {b:g} {at}")
    return betas


@dataclass(frozen=True)
class Schedule:
    """A noise schedule and its derived coefficients, all (T,) tensors (float64 unless `.to` says otherwise).

    Index t is code's 0-indexed timestep; the paper's is t + 1 (see reference/diffusion/timesteps.py).
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bar: torch.Tensor
    alpha_bar_prev: torch.Tensor  # ᾱ_{t-1}; 1 at t = 0
    sqrt_alpha_bar: torch.Tensor  # √ᾱ_t, multiplies x0 in q(x_t | x_0) (eq. 4)
    sqrt_one_minus_alpha_bar: torch.Tensor  # √(1 − ᾱ_t), multiplies ε in q(x_t | x_0) (eq. 4)
    snr: torch.Tensor  # ᾱ_t / (1 − ᾱ_t)
    # q(x_{t-1} | x_t, x_0) = N(coef1·x0 + coef2·x_t, β̃_t)   (eqs. 6–7)
    posterior_variance: torch.Tensor  # β̃_t = (1 − ᾱ_{t-1}) / (1 − ᾱ_t) · β_t; 0 at t = 0
    posterior_log_variance_clipped: torch.Tensor  # log β̃_t with t = 0 taking β̃ at t = 1 (β̃ is 0 there)
    posterior_mean_coef1: torch.Tensor  # √ᾱ_{t-1} β_t / (1 − ᾱ_t), multiplies x0
    posterior_mean_coef2: torch.Tensor  # √α_t (1 − ᾱ_{t-1}) / (1 − ᾱ_t), multiplies x_t
    log_betas_clipped: torch.Tensor  # log β_t with t = 0 taking β̃ at t = 1, as Ho et al.'s code does
    name: str = "custom"

    @property
    def T(self) -> int:
        return self.betas.shape[0]

    @classmethod
    def from_betas(cls, betas, name: str = "custom") -> "Schedule":
        """Build from any (T,) sequence of β_t in (0, 1); raises ValueError naming the bad value and its t.

        β_T alone may be 1 (zero terminal SNR, Lin et al. 2024): then ᾱ_T = 0 and x_T is pure noise. Every
        coefficient stays finite; only log SNR_T is −inf, and x̂0 from ε (eq. 15) is undefined at t = T.
        """
        betas = _check_betas(betas)
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])
        posterior_variance = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)
        first = posterior_variance[1:2] if len(betas) > 1 else betas[:1]
        return cls(
            betas=betas,
            alphas=alphas,
            alpha_bar=alpha_bar,
            alpha_bar_prev=alpha_bar_prev,
            sqrt_alpha_bar=alpha_bar.sqrt(),
            sqrt_one_minus_alpha_bar=(1 - alpha_bar).sqrt(),
            snr=alpha_bar / (1 - alpha_bar),
            posterior_variance=posterior_variance,
            posterior_log_variance_clipped=torch.log(torch.cat([first, posterior_variance[1:]])),
            posterior_mean_coef1=betas * alpha_bar_prev.sqrt() / (1 - alpha_bar),
            posterior_mean_coef2=(1 - alpha_bar_prev) * alphas.sqrt() / (1 - alpha_bar),
            log_betas_clipped=torch.log(torch.cat([first, betas[1:]])),
            name=name,
        )

    @classmethod
    def from_name(cls, name: ScheduleName, T: int = 1000, zero_terminal_snr: bool = False, **params) -> "Schedule":
        """`linear`, `cosine`, `quadratic` or `sigmoid` with T steps.

        params: `beta_start`, `beta_end` (linear, quadratic, sigmoid); `s`, `max_beta` (cosine).
        zero_terminal_snr: rescale so that ᾱ_T = 0 (Lin et al. 2024); β_T is then 1, and an ε-predicting
        model cannot recover x0 at the first reverse step, so pair it with v-prediction.
        """
        if name not in BETA_BUILDERS:
            raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULE_NAMES)}")
        if isinstance(T, bool) or not isinstance(T, int) or T < 1:
            raise ValueError(f"T must be an integer of at least 1; got {T!r}")
        for key, value in params.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"schedule parameter {key} must be a finite number; got {value!r}")
        try:
            betas = BETA_BUILDERS[name](T, **params)
        except TypeError as e:
            raise ValueError(f"bad parameter for the {name} schedule: {e}") from None
        if zero_terminal_snr:
            if T < 2:
                raise ValueError("zero_terminal_snr needs T of at least 2")
            betas = _rescale_zero_terminal_snr(betas)
        return cls.from_betas(betas, name=name)

    def reverse_variance(self, variance: Variance) -> tuple[torch.Tensor, torch.Tensor]:
        """σ_t² and log σ_t² of p_θ(x_{t-1} | x_t): "fixed_large" σ² = β_t, "fixed_small" σ² = β̃_t (Ho et al. §3.2).

        At t = 0 both take β̃ at t = 1 for the log variance, as Ho et al.'s code does for the decoder.
        """
        if variance == "fixed_small":
            return self.posterior_variance, self.posterior_log_variance_clipped
        if variance == "fixed_large":
            return self.betas, self.log_betas_clipped
        raise ValueError(f"variance must be 'fixed_large' (σ² = β) or 'fixed_small' (σ² = β̃); got {variance!r}")

    def to(self, device=None, dtype=None) -> "Schedule":
        """The same schedule with every tensor moved to `device` and/or cast to `dtype`."""
        return replace(
            self,
            **{f.name: getattr(self, f.name).to(device=device, dtype=dtype)
               for f in fields(self) if isinstance(getattr(self, f.name), torch.Tensor)},
        )
