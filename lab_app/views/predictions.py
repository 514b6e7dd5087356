"""The x0, ε or v page's cached numbers: which checkpoint predicts what, each loss's weight against the bound, and
sample quality."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st
import torch

import reference
from reference import checkpoints
from reference import evaluate as quality

from lab_app.server import models
from lab_app.views import shared


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    data: str = "moons"
    n: dict[str, int] = field(default_factory=lambda: {"moons": 1000, "digits": 64})  # samples per model, by data
    seed: int = 0


DEFAULTS = Defaults()


def prediction_family(data_name: str) -> dict[str, str]:
    """prediction -> the shipped checkpoint of `data_name` that predicts it, e.g. {"eps": "moons", "x0": "moons_x0"}."""
    out = {}
    for name in checkpoints.available_checkpoints():
        ckpt = models.checkpoint(name)
        if ckpt.manifest["data"] == data_name and ckpt.prediction not in out:
            out[ckpt.prediction] = name
    return {p: out[p] for p in reference.PREDICTIONS if p in out}


@st.cache_data(max_entries=16, show_spinner=False)
def prediction_weights(name: str, variance: str) -> dict[str, np.ndarray]:
    """prediction -> how many times more the bound weighs the ε error at paper's t = 2 … T than that simple loss
    does, (T − 1,): D·(eq. 12 weight) over reference.loss_weight_on_eps."""
    ckpt = models.checkpoint(name)
    bound_weight = reference.eps_weight_over_simple(ckpt.schedule, variance, models.held_out(name, 1)[0].numel())
    return {p: (bound_weight / reference.loss_weight_on_eps(ckpt.schedule, p))[1:].numpy()
            for p in reference.PREDICTIONS}


@st.cache_data(max_entries=32, show_spinner=False)
def sample_quality(name: str, n: int, seed: int, sampler: str, ddim_steps: int) -> dict:
    """n samples of a shipped model and their quality, measured: for 2-D points the sliced Wasserstein distance to
    n held-out points and the share on the data's support (reference.evaluate); for digits the classifier's
    confidence, with its standard error."""
    out = shared.samples(name, sampler, n, seed, ddim_steps, "trailing", 0.0, "fixed_large", frames=2)
    x = torch.from_numpy(out["x0"])
    if shared.is_image_model(name):
        return {"x0": out["x0"], "seconds": out["seconds"], **quality.digit_quality(x, shared.digits_judge())}
    heldout = models.held_out(name, n)
    return {"x0": out["x0"], "seconds": out["seconds"],
            "sliced_wasserstein": quality.sliced_wasserstein(x, heldout, seed=seed),
            "support_precision": quality.support_precision(x, heldout)}
