"""The Training page: its defaults and the process's training slots (lab_app/server/training.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from reference.data import TOY_DATASETS

from lab_app.server.settings import settings
from lab_app.server.training import TrainingSlots


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them: the shipped 64×3 toy models' settings, 2000 steps."""

    data: str = TOY_DATASETS[0]
    schedule: str = "cosine"
    T: int = 1000
    width: int = 64  # MLP hidden units
    lr: float = 1e-3
    batch_size: int = 256
    total: int = 2000  # steps
    every: int = 200  # steps between sample snapshots
    seed: int = 0


DEFAULTS = Defaults()


@st.cache_resource(max_entries=1, show_spinner=False)
def training_slots() -> TrainingSlots:
    """The process's training slots: DDPM_LAB_TRAINING_SLOTS runs step at once, or one per CPU core."""
    return TrainingSlots(settings().training_slots or os.cpu_count() or 1)
