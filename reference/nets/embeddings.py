"""The sinusoidal timestep embedding of the Transformer (Vaswani et al. 2017, §3.5), as Ho et al. 2020 use it."""
from __future__ import annotations

import math

import torch


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """[sin(t·ω_k), cos(t·ω_k)], ω_k = max_period^(−k/(dim/2 − 1)), k = 0 … dim/2 − 1: (B, dim) float32.

    t: (B,) long, code's 0-indexed timestep (Ho et al.'s code embeds the same 0-indexed t).
    """
    if dim < 4 or dim % 2:
        raise ValueError(f"dim must be an even integer of at least 4; got {dim}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / (half - 1))  # (dim/2,)
    angles = t.float()[:, None] * freqs[None]  # (B, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)
