"""The ELBO inspection page: its defaults and the weight L_simple drops (the bound itself comes from the compute
service, lab_app/views/shared.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

import reference

from lab_app.server import models

@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    n: dict[str, int] = field(default_factory=lambda: {"image": 4, "points": 128})  # held-out examples: all T terms
    # take under a second for the MLP, ~1 s per digit for the U-Net
    seed: int = 0
    variances: tuple[str, ...] = ("fixed_large", "fixed_small")


DEFAULTS = Defaults()


@st.cache_data(max_entries=32, show_spinner=False)
def weight_over_simple(name: str, variance: str) -> np.ndarray:
    """D·(eq. 12 weight) for code t = 1 … T−1 (paper's 2 … T), (T − 1,)."""
    ckpt = models.checkpoint(name)
    dims = models.held_out(name, 1)[0].numel()
    return reference.eps_weight_over_simple(ckpt.schedule, variance, dims)[1:].numpy()
