"""The typed options every module of the reference shares: one spelling each, checked in one place.

Each option is a `Literal` alias for signatures and the tuple of its values for checks and menus.
"""
from __future__ import annotations

from typing import Literal, get_args

ScheduleName = Literal["linear", "cosine", "quadratic", "sigmoid"]
Prediction = Literal["eps", "x0", "v"]  # what a model outputs: ε (Ho et al.), x0, or v (Salimans & Ho 2022, §4)
Variance = Literal["fixed_large", "fixed_small"]  # σ_t² of p_θ: β_t or β̃_t (Ho et al. §3.2)
Decoder = Literal["continuous", "discrete"]  # L_0: a Gaussian density, or 8-bit bins on [−1, 1] (eq. 13)
Weighting = Literal["simple", "vlb"]  # L_simple (eq. 14), or the bound's eq. 12 weight
Spacing = Literal["trailing", "leading", "linspace"]  # where DDIM's sub-sequence τ sits (Lin et al. 2024, Table 2)
Sampler = Literal["ddpm", "ddim"]  # Algorithm 2, or DDIM (Song et al. 2021)

SCHEDULE_NAMES: tuple[str, ...] = get_args(ScheduleName)
PREDICTIONS: tuple[str, ...] = get_args(Prediction)
VARIANCES: tuple[str, ...] = get_args(Variance)
DECODERS: tuple[str, ...] = get_args(Decoder)
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)
DDIM_SPACINGS: tuple[str, ...] = get_args(Spacing)
SAMPLERS: tuple[str, ...] = get_args(Sampler)


def check_option(name: str, value, allowed: tuple[str, ...]) -> None:
    """ValueError naming the option, its allowed values and the bad one, unless value is one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
