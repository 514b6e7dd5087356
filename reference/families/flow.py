"""A normalising flow with an exact likelihood: RealNVP's affine couplings (Dinh, Sohl-Dickstein & Bengio 2017).

An invertible f maps data x (B, *S) to z = f(x) (B, D) with D = prod(S), and the density of x follows by the
change of variables (Dinh et al. eq. 3):

    log p(x) = log N(f(x); 0, I) + log |det ∂f(x)/∂x|.

f is a stack of K affine couplings. Coupling k keeps the coordinates where its binary mask b is 1 and moves the
others by an affine map that depends only on the kept ones (eq. 9):

    y = b ⊙ x + (1 − b) ⊙ (x ⊙ exp(s(b ⊙ x)) + t(b ⊙ x)),

whose Jacobian is triangular, so log |det| = Σ_j (1 − b_j)·s_j(b ⊙ x) (eq. 6), and whose inverse needs no inverse
of s or t (eq. 8): x = b ⊙ y + (1 − b) ⊙ (y − t(b ⊙ y)) ⊙ exp(−s(b ⊙ y)). Masks alternate between the even and the
odd coordinates (of the flattened x). s = scale ⊙ tanh(·) keeps each coupling's stretch bounded; the last layer of
each s, t network starts at zero, so an untrained flow is the identity. Sampling inverts f on z ~ N(0, I): one pass
through the K coupling networks.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def check_config(name: str, values: dict, data_shape) -> None:
    """ValueError naming the first setting of `values` that is not a positive integer, or a bad data_shape."""
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} {key} must be a positive integer; got {value!r}")
    if not data_shape or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in data_shape):
        raise ValueError(f"{name} data_shape must be a list of positive integers; got {data_shape!r}")


def mlp(d_in: int, hidden: int, layers: int, d_out: int, activation: type[nn.Module] = nn.SiLU) -> nn.Sequential:
    """d_in → hidden (→ hidden)×(layers − 1) → d_out, an `activation` after each hidden layer."""
    sizes = [d_in] + [hidden] * layers
    parts: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        parts += [nn.Linear(a, b), activation()]
    return nn.Sequential(*parts, nn.Linear(hidden, d_out))


class RealNVP(nn.Module):
    """forward(x) -> (z, log_det); inverse(z) -> x; log_prob(x) -> (B,) nats; sample(n) -> (n, *S).

    Config: data_shape (the S of x), couplings K, and each coupling's s, t network's hidden width and layers.
    """

    def __init__(self, data_shape: list[int] = (2,), couplings: int = 8, hidden: int = 64, layers: int = 2):
        super().__init__()
        data_shape = list(data_shape)
        check_config("RealNVP", {"couplings": couplings, "hidden": hidden, "layers": layers}, data_shape)
        self.config = {"data_shape": data_shape, "couplings": couplings, "hidden": hidden, "layers": layers}
        self.data_shape = tuple(data_shape)
        self.dim = D = math.prod(data_shape)
        parity = torch.arange(D) % 2
        masks = torch.stack([(parity + k) % 2 for k in range(couplings)]).float()  # (K, D), 1 = kept
        self.register_buffer("masks", masks, persistent=False)
        self.nets = nn.ModuleList(mlp(D, hidden, layers, 2 * D) for _ in range(couplings))  # b ⊙ x -> (s, t)
        for net in self.nets:
            nn.init.zeros_(net[-1].weight)
            nn.init.zeros_(net[-1].bias)
        self.scales = nn.Parameter(torch.ones(couplings, D))  # s = scale ⊙ tanh(raw s)

    def _s_t(self, k: int, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """s and t of coupling k, (B, D) each, zero on the kept coordinates."""
        raw_s, t = self.nets[k](kept).chunk(2, dim=1)
        moved = 1 - self.masks[k]
        return moved * self.scales[k] * torch.tanh(raw_s), moved * t

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z = f(x), (B, D), and log |det ∂f/∂x|, (B,) (eqs. 6, 9)."""
        if tuple(x.shape[1:]) != self.data_shape:
            raise ValueError(f"x must have shape (B, {', '.join(map(str, self.data_shape))}); got {tuple(x.shape)}")
        h = x.flatten(1)
        log_det = torch.zeros(len(h), dtype=h.dtype, device=h.device)
        for k in range(len(self.nets)):
            s, t = self._s_t(k, self.masks[k] * h)
            h = h * torch.exp(s) + t  # kept coordinates: s = t = 0, unchanged
            log_det = log_det + s.sum(1)
        return h, log_det

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """x = f⁻¹(z), (B, *S): the couplings undone in reverse order (eq. 8)."""
        h = z
        for k in reversed(range(len(self.nets))):
            s, t = self._s_t(k, self.masks[k] * h)
            h = (h - t) * torch.exp(-s)
        return h.reshape(len(h), *self.data_shape)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) = log N(f(x); 0, I) + log |det ∂f/∂x| per example, (B,), in nats (eq. 3)."""
        z, log_det = self(x)
        log_normal = -0.5 * (z**2 + math.log(2 * math.pi)).sum(1)
        return log_normal + log_det

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws x = f⁻¹(z), z ~ N(0, I), (n, *S)."""
        z = torch.randn((n, self.dim), generator=generator, device=self.masks.device, dtype=self.masks.dtype)
        return self.inverse(z)


def dequantized_log_prob(flow: RealNVP, x0: torch.Tensor, u: torch.Tensor, bin_width: float) -> torch.Tensor:
    """log p(x0 + (u − ½)·Δ) + D·log Δ per example, (B,), nats, for data x0 on a grid of bin width Δ and u ~ U[0, 1)
    of x0's shape: uniform dequantisation (Theis et al. 2016; Ho et al. 2019, eq. 2). Its mean over u is a lower
    bound on log P(x0), the probability the flow gives x0's bin [x0 − Δ/2, x0 + Δ/2)."""
    return flow.log_prob(x0 + (u - 0.5) * bin_width) + x0[0].numel() * math.log(bin_width)
