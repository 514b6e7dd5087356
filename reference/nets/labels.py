"""The class label y of a conditional denoiser ε_θ(x_t, t, y), with the null label ∅ (Ho & Salimans 2022, §3.2).

Classes are 0 … num_classes − 1; the extra index `num_classes` is ∅, "no label", which classifier-free guidance
trains by dropping labels and queries for the unconditional ε_θ(x_t, t) = ε_θ(x_t, t, ∅).
"""
from __future__ import annotations

import torch
from torch import nn


def check_labels(y: torch.Tensor, batch: int, num_classes: int, device: torch.device, allow_null: bool) -> None:
    """ValueError unless y is a (batch,) long tensor on `device` with values in 0 … num_classes − 1, or up to
    num_classes (∅) when `allow_null`."""
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long:
        raise ValueError(f"y must be a (B,) long tensor of class labels; got "
                         f"{y.dtype if isinstance(y, torch.Tensor) else type(y).__name__}")
    if y.dim() != 1 or y.shape[0] != batch:
        raise ValueError(f"y must have shape (B,) = ({batch},); got {tuple(y.shape)}")
    if y.device != device:
        raise ValueError(f"y is on {y.device} but x_t is on {device}")
    top = num_classes if allow_null else num_classes - 1
    if y.numel() and (int(y.min()) < 0 or int(y.max()) > top):
        bad = int(y[(y < 0) | (y > top)][0])
        raise ValueError(f"y must lie in [0, {top}] ({num_classes} classes"
                         f"{', and ∅ = ' + str(num_classes) if allow_null else ''}); got {bad}")


class LabelEmbedding(nn.Embedding):
    """A learned vector per class, num_classes + 1 rows, the last one for ∅: `emb(y, x_t) -> (B, dim)`, y = None
    meaning ∅ for every example. The networks add it to their time embedding."""

    def __init__(self, num_classes: int, dim: int):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer; got {num_classes!r}")
        super().__init__(num_classes + 1, dim)
        self.num_classes = num_classes

    def forward(self, y: torch.Tensor | None, x_t: torch.Tensor) -> torch.Tensor:
        if y is None:
            y = torch.full((x_t.shape[0],), self.num_classes, dtype=torch.long, device=x_t.device)
        check_labels(y, x_t.shape[0], self.num_classes, x_t.device, allow_null=True)
        return super().forward(y)


def no_labels(y: torch.Tensor | None, class_name: str) -> None:
    """ValueError if an unconditional network (num_classes unset) is handed labels."""
    if y is not None:
        raise ValueError(f"this {class_name} is unconditional (no num_classes in its config); it takes no y")
