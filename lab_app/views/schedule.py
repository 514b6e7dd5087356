"""The Schedule design page's cached arrays: each schedule's curves and downloads, and toy points and digits noised
by eq. 4."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

import reference
from reference import data
from reference.data import TOY_DATASETS

from lab_app.server import models
from lab_app.views import shared
from lab_app.views.shared import SCHEDULE_DEFAULTS, ScheduleSpec

@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    kinds: tuple[str, ...] = ("linear", "cosine", "quadratic")  # each slot's schedule
    count: int = 2  # how many slots are compared
    dataset: str = TOY_DATASETS[0]
    seed: int = 0
    points: int = 500  # 2-D points noised per schedule
    digits: int = 8  # held-out digits noised per schedule

    def t(self, T: int) -> int:
        """The noised view's paper t for the largest T compared."""
        return max(1, T // 4)

    def specs(self) -> tuple[ScheduleSpec, ...]:
        """The schedules the page first compares."""
        return tuple(SCHEDULE_DEFAULTS.spec(kind) for kind in self.kinds[:self.count])


DEFAULTS = Defaults()


@st.cache_data(max_entries=64, show_spinner=False)
def schedule_curves(spec: ScheduleSpec) -> dict[str, np.ndarray]:
    """β_t, ᾱ_t, √ᾱ_t, √(1 − ᾱ_t) and log-SNR, (T,) each, with ᾱ_T and L_T from `reference.terminal_signal`."""
    s = shared.build_schedule(spec)
    end = reference.terminal_signal(s)
    return {"betas": s.betas.numpy(), "alpha_bar": s.alpha_bar.numpy(), "sqrt_alpha_bar": s.sqrt_alpha_bar.numpy(),
            "sqrt_one_minus_alpha_bar": s.sqrt_one_minus_alpha_bar.numpy(), "log_snr": reference.log_snr(s).numpy(),
            "alpha_bar_T": end.alpha_bar_T, "prior_bits_per_dim": end.prior_bits_per_dim,
            "negligible": end.negligible}


@st.cache_data(max_entries=64, show_spinner=False)
def schedule_files(spec: ScheduleSpec) -> tuple[bytes, str]:
    """The schedule as .npz bytes and as JSON text, for the download buttons."""
    s = shared.build_schedule(spec)
    return reference.schedule_to_npz(s), reference.schedule_to_json(s)


def _q_sample(x0: torch.Tensor, spec: ScheduleSpec, t: int, seed: int) -> np.ndarray:
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return reference.diffuse(x0, t, noise, shared.build_schedule(spec).alpha_bar).numpy()


@st.cache_data(max_entries=128, show_spinner=False)
def noised_toy(spec: ScheduleSpec, name: str, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) (eq. 4) for n points of a toy set, (n, 2); t is code's 0-indexed timestep."""
    return _q_sample(data.make_toy(name, n, seed), spec, t, seed)


@st.cache_data(max_entries=128, show_spinner=False)
def noised_digits(spec: ScheduleSpec, n: int, t: int, seed: int) -> np.ndarray:
    """x_t ~ q(x_t | x_0) for the first n held-out digits, (n, 8, 8); t is code's 0-indexed timestep."""
    return _q_sample(models.digits_split().x_test[:n], spec, t, seed)[:, 0]
