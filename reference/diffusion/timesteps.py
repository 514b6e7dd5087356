"""The timestep convention, the input checks, and the one helper that broadcasts per-timestep coefficients.

Code `t` runs over 0 … T-1; the paper's t (Ho et al. 2020) is `t + 1`. So `alpha_bar[t]` is the paper's
ᾱ_{t+1}, `diffuse(x0, t, …)` returns the paper's x_{t+1}, and `t = 0` is the last reverse step (no noise).
"""
from __future__ import annotations

import torch

# A (B,) long tensor, one t per example. The samplers also pass a Python int, one t for the whole batch: that
# shortcut is theirs, for speed and exactness; a caller outside the samplers gives a tensor.
Timestep = int | torch.Tensor


def check_t(t: Timestep, x: torch.Tensor, T: int) -> None:
    """Raise ValueError unless `t` is a (B,) long tensor of values in [0, T) on x's device (or such an int)."""
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


def check_same_shape(**tensors: torch.Tensor) -> None:
    """ValueError unless every tensor has the first one's shape and device, naming the first that differs."""
    (first_name, first), *rest = tensors.items()
    for name, x in rest:
        if x.shape != first.shape:
            raise ValueError(f"{name} must have the shape of {first_name} {tuple(first.shape)}; got {tuple(x.shape)}")
        if x.device != first.device:
            raise ValueError(f"{name} is on {x.device} but {first_name} is on {first.device}")


def extract(arr: torch.Tensor, t: Timestep, x: torch.Tensor) -> torch.Tensor:
    """Gather the (T,) coefficient `arr` at `t`, ready to broadcast against x of shape (B, *S). Always a tensor.

    A (B,) tensor `t` gives a (B, 1, …, 1) tensor in x's dtype on x's device. The samplers' int `t` gives the
    0-dim tensor arr[t], left in arr's dtype (float64) so that products with it round as with a Python float.
    """
    if isinstance(t, int):
        return arr[t]
    out = arr.to(device=x.device)[t].to(x.dtype)  # (B,)
    return out.reshape(t.shape[0], *([1] * (x.dim() - 1)))


def full_t(t: Timestep, x: torch.Tensor) -> torch.Tensor:
    """`t` as the (B,) long tensor on x's device that a model `model(x_t, t)` receives."""
    if isinstance(t, int):
        return torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
    return t
