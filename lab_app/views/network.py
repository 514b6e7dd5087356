"""The network page's cached views of the digits U-Net: its blocks, its time embedding, and one pass looked inside."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

import reference
from reference.nets import network

from lab_app.server import models

MODEL = "digits"  # the U-Net the page looks inside


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    digit: int = 0
    seed: int = 0
    t: int = 250  # the paper's t: on the cosine schedule ᾱ_t ≈ 0.85, a digit still plain under its noise
    feature_block: str = "down.0"


DEFAULTS = Defaults()


@st.cache_data(max_entries=8, show_spinner=False)
def network_blocks(name: str) -> dict:
    """`reference.nets.network.describe_unet` of a shipped U-Net: its blocks in forward order (dicts of the Block fields,
    with `attention`), and `count_parameters` of the whole model."""
    ckpt = models.checkpoint(name)
    blocks = network.describe_unet(ckpt.model, tuple(models.held_out(name, 1).shape[1:]))
    return {"blocks": [{**vars(b), "attention": b.attention} for b in blocks],
            "total": reference.nets.models.count_parameters(ckpt.model)}


@st.cache_data(max_entries=8, show_spinner=False)
def time_embedding(name: str) -> np.ndarray:
    """The sinusoidal embedding a shipped U-Net's time MLP reads at every code t = 0 … T−1, (T, t_dim)."""
    ckpt = models.checkpoint(name)
    return network.embedding_table(ckpt.model, ckpt.schedule.T).numpy()


@st.cache_data(max_entries=64, show_spinner=False)
def network_inside(name: str, index: int, t: int, seed: int, k: int) -> dict:
    """Held-out digit `index` noised to code t by eq. 4 (ε drawn from `seed`) and one pass of the model, looked
    inside by `reference.nets.network.capture`: x0, x_t, ε, ε_θ and x̂0 (eq. 15), (H, W) each; L_simple's
    ‖ε − ε_θ‖²/D (eq. 14) and ᾱ_t; every block's output (C, H, W) with its k strongest channels; every attention
    layer's weights (N, N)."""
    ckpt = models.checkpoint(name)
    device = reference.default_device()
    x0 = models.digits_split().x_test[index:index + 1].to(device)  # (1, 1, 8, 8)
    sched = ckpt.schedule.to(device)
    reference.check_t(t, x0, sched.T)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed)).to(device)
    x_t = reference.diffuse(x0, t, eps, sched.alpha_bar)
    t_batch = torch.full((1,), t, dtype=torch.long, device=device)
    inside = network.capture(ckpt.model, x_t, t_batch)
    x0_pred = reference.predict_x0_from_eps(x_t, t, inside.eps_pred, sched)
    with torch.no_grad():
        loss = reference.weighted_eps_loss(ckpt.model, x0, t, sched, eps)
    features = {b: f[0].cpu().numpy() for b, f in inside.features.items() if f.dim() == 4}
    return {"x0": x0[0, 0].cpu().numpy(), "x_t": x_t[0, 0].cpu().numpy(), "eps": eps[0, 0].cpu().numpy(),
            "eps_pred": inside.eps_pred[0, 0].cpu().numpy(), "x0_pred": x0_pred[0, 0].cpu().numpy(),
            "loss": float(loss[0]), "alpha_bar": float(sched.alpha_bar[t]),
            "label": int(models.digits_split().y_test[index]), "features": features,
            "strongest": {b: network.strongest_channels(f[0], min(k, f.shape[1])).tolist()
                          for b, f in inside.features.items() if f.dim() == 4},
            "attention": {b: a[0].cpu().numpy() for b, a in inside.attention.items()}}
