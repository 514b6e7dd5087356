"""ε_θ(x_t, t) for 2-D toy data: a residual MLP on [x_t, sinusoidal embedding of t]."""
from __future__ import annotations

import torch
from torch import nn

from .embeddings import timestep_embedding
from .labels import LabelEmbedding, no_labels


class MLPDenoiser(nn.Module):
    """model(x_t, t, y=None) -> eps_pred for x_t of shape (B, dim); t: (B,) long.

    h = W_in·[x_t, emb(t)], then `layers` pre-activation residual blocks h ← h + W·SiLU(h), then W_out·SiLU(h).
    With `num_classes`, class-conditional: emb(t) + emb(y), a learned embedding of y (B,) long, None meaning the
    null label ∅ (reference/nets/labels.py). Built from its plain `config` dict, which the checkpoint manifest stores
    (num_classes only when set, so that an unconditional config holds no label setting).
    """

    def __init__(self, dim: int = 2, hidden: int = 128, layers: int = 3, t_dim: int = 32,
                 num_classes: int | None = None):
        super().__init__()
        for key, value in {"dim": dim, "hidden": hidden, "layers": layers, "t_dim": t_dim}.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MLPDenoiser {key} must be a positive integer; got {value!r}")
        self.config = {"dim": dim, "hidden": hidden, "layers": layers, "t_dim": t_dim}
        self.t_dim = t_dim
        self.inp = nn.Linear(dim + t_dim, hidden)
        self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, dim)
        # created last, so that the layers above draw the same initial weights with and without labels
        self.label_emb = LabelEmbedding(num_classes, t_dim) if num_classes is not None else None
        if num_classes is not None:
            self.config["num_classes"] = num_classes

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        emb = timestep_embedding(t, self.t_dim).to(x_t.dtype)  # (B, t_dim)
        if self.label_emb is None:
            no_labels(y, "MLPDenoiser")
        else:
            emb = emb + self.label_emb(y, x_t)  # the class, added to the time embedding
        h = self.inp(torch.cat([x_t, emb], dim=1))  # (B, hidden)
        for block in self.blocks:
            h = h + block(nn.functional.silu(h))
        return self.out(nn.functional.silu(h))  # (B, dim)
