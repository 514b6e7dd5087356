"""ε_θ(x_t, t) for 2-D toy data: a residual MLP on [x_t, sinusoidal embedding of t]."""
from __future__ import annotations

import torch
from torch import nn

from .embedding import timestep_embedding


class MLPDenoiser(nn.Module):
    """model(x_t, t) -> eps_pred for x_t of shape (B, dim); t: (B,) long.

    h = W_in·[x_t, emb(t)], then `layers` pre-activation residual blocks h ← h + W·SiLU(h), then W_out·SiLU(h).
    Built from its plain `config` dict, which the checkpoint manifest stores.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, layers: int = 3, t_dim: int = 32):
        super().__init__()
        for key, value in {"dim": dim, "hidden": hidden, "layers": layers, "t_dim": t_dim}.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MLPDenoiser {key} must be a positive integer; got {value!r}")
        self.config = {"dim": dim, "hidden": hidden, "layers": layers, "t_dim": t_dim}
        self.t_dim = t_dim
        self.inp = nn.Linear(dim + t_dim, hidden)
        self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.inp(torch.cat([x_t, timestep_embedding(t, self.t_dim).to(x_t.dtype)], dim=1))  # (B, hidden)
        for block in self.blocks:
            h = h + block(nn.functional.silu(h))
        return self.out(nn.functional.silu(h))  # (B, dim)
