"""The hierarchical-VAE page's cached numbers: L_T in float64 (its bound is the ELBO page's, from
lab_app/views/shared.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

import reference

from lab_app.server import models
from lab_app.views import elbo


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them: the ELBO page's held-out examples and seed, so that a bound
    computed there comes from the compute service's kept results."""

    n: dict[str, int] = field(default_factory=lambda: dict(elbo.DEFAULTS.n))
    seed: int = elbo.DEFAULTS.seed  # the x_t draws
    variance: str = "fixed_large"


DEFAULTS = Defaults()


@st.cache_data(max_entries=32, show_spinner=False)
def prior_matching(name: str, n: int) -> dict:
    """L_T = KL(q(x_T | x_0) ‖ N(0, I)) of a shipped model's schedule on the n held-out examples `bound` uses, in
    bits/dim and float64 (`reference.prior_matching`): by `prior_kl` and by `terminal_signal` for their E[x0²], with
    ᾱ_T and, for comparison, `terminal_signal` of unit-variance data."""
    schedule = models.checkpoint(name).schedule
    p = reference.prior_matching(models.held_out(name, n), schedule)
    return {"alpha_bar_T": p.alpha_bar_T, "second_moment": p.second_moment, "measured": p.measured,
            "closed_form": p.closed_form, "negligible": p.negligible,
            "unit_variance": reference.terminal_signal(schedule).prior_bits_per_dim}
