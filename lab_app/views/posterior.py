"""The Posterior page's cached arrays: q(x_{t-1} | x_t, x_0)'s coefficients over t (eqs. 6–7) and its 1-D check
against Bayes' rule."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

import reference

from lab_app.views import shared
from lab_app.views.shared import ScheduleSpec

@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    kind: str = "linear"
    x0: float = 1.0
    x_t: float = 0.5  # when typed rather than drawn
    seed: int = 0

    def t(self, T: int) -> int:
        """The 1-D example's paper t."""
        return max(1, T // 10)


DEFAULTS = Defaults()


@st.cache_data(max_entries=64, show_spinner=False)
def posterior_curves(spec: ScheduleSpec) -> dict[str, np.ndarray]:
    """μ̃_t's coefficients on x0 and x_t, β_t and β̃_t (eq. 7), with α_t, ᾱ_t, ᾱ_{t-1} and β̃_t / β_t: (T,) each."""
    s = shared.build_schedule(spec)
    return {"coef1": s.posterior_mean_coef1.numpy(), "coef2": s.posterior_mean_coef2.numpy(),
            "betas": s.betas.numpy(), "posterior_variance": s.posterior_variance.numpy(), "alphas": s.alphas.numpy(),
            "alpha_bar": s.alpha_bar.numpy(), "alpha_bar_prev": s.alpha_bar_prev.numpy(),
            "variance_ratio": (s.posterior_variance / s.betas).numpy()}  # β̃_t / β_t


@st.cache_data(max_entries=128, show_spinner=False)
def draw_x_t(spec: ScheduleSpec, x0: float, t: int, seed: int) -> float:
    """One draw x_t ~ q(x_t | x_0) (eq. 4) for a 1-D x0 at code t."""
    noise = torch.randn((1, 1), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return float(reference.diffuse(torch.tensor([[x0]], dtype=torch.float64), t, noise, shared.build_schedule(spec).alpha_bar))


@st.cache_data(max_entries=128, show_spinner=False)
def posterior_1d(spec: ScheduleSpec, x0: float, x_t: float, t: int) -> dict:
    """`reference.posterior_check_1d`: eq. 7's N(μ̃_t, β̃_t) and Bayes' rule on a grid, for 1-D x0, x_t at code t."""
    c = reference.posterior_check_1d(x0, x_t, t, shared.build_schedule(spec))
    return {"grid": c.grid.numpy(), "bayes": c.bayes.numpy(), "closed_form": c.closed_form.numpy(),
            "posterior_mean": c.posterior_mean, "posterior_variance": c.posterior_variance,
            "grid_mean": c.grid_mean, "grid_variance": c.grid_variance, "max_abs_diff": c.max_abs_diff,
            "peak": c.peak, "mean_diff": c.grid_mean - c.posterior_mean,
            "variance_diff": c.grid_variance - c.posterior_variance}
