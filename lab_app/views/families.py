"""Cached computations of the families page (VAE, GAN, flow and diffusion): the family models by checkpoint name,
their samples with the seconds they took, and the manifests' measured numbers as table rows. The diffusion models
load through lab_app.server.models.checkpoint and sample through lab_app.views.shared.samples.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import streamlit as st
import torch

import reference
from reference.families import comparison as families

from lab_app.server import models
from lab_app.views import shared

DIFFUSION_SAMPLERS = {"DDIM, 50 steps": ("ddim", 50), "DDPM, 1000 steps": ("ddpm", 1000)}


@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    data: str = "moons"
    n: dict[str, int] = field(default_factory=lambda: {"moons": 1000, "digits": 32})  # samples per family, by data
    seed: int = 0
    diffusion_sampler: str = "DDIM, 50 steps"  # of DIFFUSION_SAMPLERS


DEFAULTS = Defaults()


@st.cache_resource(max_entries=8, show_spinner=False)
def family_checkpoint(name: str) -> families.FamilyCheckpoint:
    """A shipped family model in eval mode on the lab's device, loaded once per name and never mutated."""
    return families.load_family(name, device=reference.default_device())


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


@st.cache_data(max_entries=16, show_spinner=False)
def samples(data: str, n: int, seed: int, diffusion_sampler: str) -> dict[str, dict]:
    """n samples (n, *S) of each family of `data`, from `seed`, with the seconds each took:
    {family: {"x0", "seconds", "seconds_per_sample"}}, the diffusion model's by `diffusion_sampler`."""
    out = {}
    device = reference.default_device()
    for family in families.FAMILIES:
        model = family_checkpoint(families.family_name(family, data)).model
        generator = torch.Generator(device=device).manual_seed(seed)
        start = time.perf_counter()
        x = families.family_samples(model, n, generator)
        _synchronize(device)
        seconds = time.perf_counter() - start
        out[family] = {"x0": x.cpu().numpy(), "seconds": seconds}
    sampler, steps = DIFFUSION_SAMPLERS[diffusion_sampler]
    diffusion = shared.samples(data, sampler, n, seed, steps, "trailing", 0.0, "fixed_large", frames=2)
    out["diffusion"] = {"x0": diffusion["x0"], "seconds": diffusion["seconds"]}
    for row in out.values():
        row["seconds_per_sample"] = row["seconds"] / n
    return out


def _quality(manifest: dict) -> dict:
    q = manifest["quality"]
    if q["metric"] == "digits_classifier":
        return {"classifier confidence": q["mean_confidence"], "sliced W₁": None, "on support": None}
    return {"classifier confidence": None, "sliced W₁": q["value"], "on support": q["support_precision"]}


@st.cache_data(max_entries=4, show_spinner=False)
def measured(data: str) -> dict[str, dict]:
    """The manifests' numbers per family, diffusion included: bits/dim and what they are, the sample quality,
    parameters, network passes per sample and the training command."""
    rows = {}
    for family in families.FAMILIES:
        m = family_checkpoint(families.family_name(family, data)).manifest
        rows[family] = {"bits/dim": m["bits_per_dim"], "likelihood": m["likelihood"],
                        "iw bits/dim": m.get("iw_bits_per_dim"),
                        "bits_per_dim_data": m["bits_per_dim_data"], **_quality(m), "parameters": m["param_count"],
                        "passes": m["sampling_passes"], "command": m["command"]}
    m = models.checkpoint(data).manifest
    rows["diffusion"] = {"bits/dim": m["bits_per_dim"], "likelihood": "bound", "iw bits/dim": None,
                         "bits_per_dim_data": m["bits_per_dim_data"], **_quality(m), "parameters": m["param_count"],
                         "passes": m["T"], "command": m["command"]}
    return rows
