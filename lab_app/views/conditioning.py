"""Cached computations of the Conditioning and guidance page: guided samples of the class-conditional checkpoints
(digits_cond, moons_cond) with the classifier's verdict, and the accuracy-vs-diversity curve their manifests record.
Checkpoints load through lab_app.server.models.checkpoint; every formula is reference/'s (guidance.py, evaluate.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

import reference
from reference import evaluate

from lab_app.server import models
from lab_app.views import shared

DIGITS, MOONS = "digits_cond", "moons_cond"
DDIM_STEPS = 50  # as the manifests' guidance sweep (reference.evaluate.GUIDANCE_DDIM_STEPS)
MOON_CHOICES = {"upper moon (y = 0)": (0,), "lower moon (y = 1)": (1,), "both": (0, 1)}


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    digit: int = 3
    w: float = 2.0  # the guided digits' guidance scale
    seed: int = 0
    moons: str = "both"  # of MOON_CHOICES
    w_moons: float = 0.0


DEFAULTS = Defaults()


def _guided_ddim(name: str, y: list[int], w: float, seed: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """DDIM samples (B, *S) of the shipped conditional model `name` for the classes y, guidance w, from `seed`;
    with the labels (B,) and the seconds sampling took. The reference raises ValueError for a bad class or w."""
    ckpt = models.checkpoint(name)
    device = reference.default_device()
    labels = torch.tensor(y, dtype=torch.long, device=device)
    generator = torch.Generator(device=device).manual_seed(seed)
    start = time.perf_counter()
    x0 = reference.sample_ddim(ckpt.model, (len(y), *ckpt.example_shape), ckpt.schedule, steps=DDIM_STEPS,
                               generator=generator, clip_x0=ckpt.sampling.ddim_clip_x0, prediction=ckpt.prediction,
                               y=labels, guidance=w)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return x0.cpu(), labels.cpu(), time.perf_counter() - start


@st.cache_data(max_entries=64, show_spinner=False)
def guided_digits(digit: int, w: float, n: int, seed: int) -> dict:
    """n guided samples of `digit` at guidance w: {"x0" (n, 8, 8), "label" (n,) the classifier's, "accuracy",
    "mean_confidence" (its mean p(digit | x)), "diversity" (mean pairwise distance), "seconds"}; ValueError for
    a bad w or digit."""
    x0, y, seconds = _guided_ddim(DIGITS, [digit] * n, w, seed)
    labels = evaluate.class_probabilities(x0, shared.digits_judge()).argmax(1).numpy()  # (n,)
    scores = evaluate.class_fidelity(x0, y, shared.digits_judge())
    return {"x0": x0[:, 0].numpy(), "label": labels, "accuracy": scores["accuracy"],
            "mean_confidence": scores["mean_confidence"], "diversity": scores["per_class_diversity"][digit],
            "seconds": seconds}


@st.cache_data(max_entries=32, show_spinner=False)
def guided_moons(moons: tuple[int, ...], w: float, n: int, seed: int) -> dict:
    """n guided samples of each moon in `moons` at guidance w: {"x0" (k·n, 2), "y" (k·n,), "accuracy" (the share
    the held-out points' nearest neighbours put on the asked moon), "seconds"}."""
    x0, y, seconds = _guided_ddim(MOONS, [m for m in moons for _ in range(n)], w, seed)
    scores = evaluate.class_fidelity(x0, y, moons_judge())
    return {"x0": x0.numpy(), "y": y.numpy(), "accuracy": scores["accuracy"], "seconds": seconds}


@st.cache_resource(max_entries=1, show_spinner=False)
def moons_judge():
    """The nearest-neighbour classifier of which moon a point lies on (reference.evaluate.toy_classifier)."""
    return evaluate.toy_classifier("moons")


@st.cache_data(max_entries=1, show_spinner=False)
def labelled_moons(n: int = 2000, seed: int = 1) -> dict[str, np.ndarray]:
    """Held-out moons with their labels: {"x0" (n, 2), "y" (n,)}."""
    x0, y = reference.make_labelled_toy("moons", n, seed)
    return {"x0": x0.numpy(), "y": y.numpy()}


@st.cache_data(max_entries=2, show_spinner=False)
def guidance_manifest(name: str) -> dict:
    """The manifest's "guidance" entry of a conditional checkpoint (the training command's sweep over w), with
    its training settings: {"num_classes", "label_drop", "steps", **guidance}."""
    manifest = models.checkpoint(name).manifest
    return {"num_classes": manifest["num_classes"], "label_drop": manifest["label_drop"], "steps": manifest["steps"],
            "bits_per_dim": manifest["bits_per_dim"], **manifest["guidance"]}
