"""The timestep convention and the one helper that broadcasts per-timestep coefficients.

Code `t` runs over 0 … T-1; the paper's t (Ho et al. 2020) is `t + 1`. So `alpha_bar[t]` is the paper's
ᾱ_{t+1}, `q_sample(x0, t)` returns the paper's x_{t+1}, and `t = 0` is the last reverse step (no noise).
"""
from __future__ import annotations

import torch

Timestep = int | torch.Tensor  # a Python int (one t for the whole batch) or a (B,) long tensor


def check_t(t: Timestep, x: torch.Tensor, T: int) -> None:
    """Raise ValueError unless `t` is an int in [0, T) or a (B,) long tensor of such values on x's device."""
    if isinstance(t, bool) or not isinstance(t, (int, torch.Tensor)):
        raise ValueError(f"t must be an int or a (B,) long tensor; got {type(t).__name__}")
    if isinstance(t, int):
        if not 0 <= t < T:
            raise ValueError(f"t must lie in [0, T-1] = [0, {T - 1}] (0-indexed); got {t}")
        return
    if t.dtype != torch.long:
        raise ValueError(f"t must be a long tensor; got dtype {t.dtype}")
    if t.dim() != 1 or t.shape[0] != x.shape[0]:
        raise ValueError(f"t must have shape (B,) = ({x.shape[0]},); got {tuple(t.shape)}")
    if t.device != x.device:
        raise ValueError(f"t is on {t.device} but x is on {x.device}")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= T):
        bad = t[(t < 0) | (t >= T)][0].item()
        raise ValueError(f"t must lie in [0, T-1] = [0, {T - 1}] (0-indexed); got {bad}")


def extract(arr: torch.Tensor, t: Timestep, x: torch.Tensor) -> torch.Tensor | float:
    """Gather the (T,) coefficient `arr` at `t`, ready to broadcast against x of shape (B, *S).

    A (B,) tensor `t` gives a (B, 1, …, 1) tensor in x's dtype and device; an int `t` gives a Python float,
    which broadcasts for free (the samplers use one t for the whole batch).
    """
    if isinstance(t, int):
        return float(arr[t])
    out = arr.to(device=x.device)[t].to(x.dtype)  # (B,)
    return out.reshape(t.shape[0], *([1] * (x.dim() - 1)))


def full_t(t: Timestep, x: torch.Tensor) -> torch.Tensor:
    """`t` as the (B,) long tensor on x's device that a model `model(x_t, t)` receives."""
    if isinstance(t, int):
        return torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
    return t
