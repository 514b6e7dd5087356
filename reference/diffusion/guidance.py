"""Classifier-free guidance (Ho & Salimans 2022, "Classifier-Free Diffusion Guidance", arXiv:2207.12598).

One network ε_θ(x_t, t, y) trained with its label y dropped to the null label ∅ at a rate p_uncond is both the
conditional model ε_θ(x_t, t, y) and the unconditional one ε_θ(x_t, t) = ε_θ(x_t, t, ∅). Sampling uses (eq. 6)

    ε̃_θ(x_t, t, y) = (1 + w)·ε_θ(x_t, t, y) − w·ε_θ(x_t, t, ∅),

w = 0 being the plain conditional model; a larger w trades diversity for class fidelity.

A model of x0 or of v is guided by combining its outputs the same way. x̂0 = (x_t − √(1 − ᾱ_t)·ε̂)/√ᾱ_t and
v̂ = (ε̂ − √(1 − ᾱ_t)·x_t)/√ᾱ_t are affine in ε̂ with coefficients that depend on (x_t, t) alone, and the weights
(1 + w) and −w sum to 1, so (1 + w)·x̂0(ε_c) − w·x̂0(ε_u) = x̂0((1 + w)·ε_c − w·ε_u), and likewise for v̂:
guiding the output is guiding ε.
"""
from __future__ import annotations

import math

import torch

from .p import Model
from ..nets.labels import check_labels


def num_classes_of(model) -> int:
    """The classes of a conditional network (its config's num_classes); ValueError for an unconditional one."""
    num_classes = getattr(model, "config", {}).get("num_classes")
    if num_classes is None:
        raise ValueError("a class y or guidance needs a class-conditional model (num_classes in its config); "
                         "this one is unconditional")
    return num_classes


def guided_model(model, y: torch.Tensor, w: float = 0.0) -> Model:
    """The plain `Model` (x_t, t) -> ε̃ of eq. 6 for a conditional network `model(x_t, t, y)`, labels y (B,) long
    in 0 … num_classes − 1 and guidance scale w ≥ 0 (w = 0: ε_θ(x_t, t, y) itself, in one pass of B rows).

    For w > 0 the conditional and unconditional predictions come from ONE forward pass of 2B rows: x_t and t
    stacked twice, labels [y, ∅]. Outputs of x0- or v-models combine the same way (see the module docstring).
    A batch of k·B rows (k copies of the B examples in order, as `vlb_terms` stacks its timesteps) gets the
    labels y repeated k times.
    """
    num_classes = num_classes_of(model)
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
        raise ValueError(f"guidance scale w must be a finite number ≥ 0; got {w!r}")
    if not isinstance(y, torch.Tensor) or y.dim() != 1 or len(y) < 1:
        raise ValueError(f"y must be a (B,) long tensor of class labels; got "
                         f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
    check_labels(y, len(y), num_classes, y.device, allow_null=False)

    def eps_tilde(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        B = len(x_t)
        if B % len(y) or y.device != x_t.device:
            raise ValueError(f"x_t ({B} rows on {x_t.device}) must have a multiple of the {len(y)} labels y, on "
                             f"their device {y.device}")
        labels = y.repeat(B // len(y))  # (B,)
        if w == 0:
            return model(x_t, t, labels)
        null = torch.full_like(labels, num_classes)
        out = model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([labels, null]))  # (2B, *S), one pass
        cond, uncond = out[:B], out[B:]
        return (1 + w) * cond - w * uncond  # eq. 6

    return eps_tilde


def condition(model, y: torch.Tensor | None, w: float) -> Model:
    """What the samplers call: `model` unchanged for y = None and w = 0 (a conditional network then samples
    unconditionally, with ∅), else `guided_model(model, y, w)`; ValueError for w ≠ 0 without y."""
    if y is None:
        if w != 0:
            raise ValueError(f"guidance scale w = {w!r} needs a class y")
        return model
    return guided_model(model, y, w)
