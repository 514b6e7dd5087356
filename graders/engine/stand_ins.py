"""The stand-in networks a check hands to a student's function, and the spy that logs how it is called.

These run inside the confined worker (graders/sandbox/worker.py), where neither `reference` nor the rest of `graders` is
present, so this file imports nothing but torch. The grader uses the very same functions on its side to compute
the expected answers, so both sides call one definition.

    toy_eps(x_t, t)                 a fixed smooth function, clearly different at neighbouring t
    GaussianEps(alpha_bar, mu, std) the exact ε-predictor for data N(mu, std²): sampling with it stays bounded
    SpyModel(eps_fn, T)             records the t of every call, clamped into [0, T−1] before use
    ToyDecoder(dim)                 a fixed smooth map from a (B, dim) latent to (B, 1, 8, 8) images: a VAE decoder
    model_from_spec(spec)           builds a SpyModel (or a ToyDecoder) from the plain data the grader sends
"""
from __future__ import annotations

from typing import Callable

import torch


def toy_eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A stand-in for a trained network, smooth in x_t and clearly different at neighbouring t."""
    phase = torch.sin(0.7 * (t + 1).to(x_t.dtype)).reshape(-1, *([1] * (x_t.dim() - 1)))  # (B, 1, …)
    return 0.5 * torch.tanh(x_t) + 0.3 * phase


class GaussianEps:
    """ε*(x_t, t) = E[ε | x_t] for x0 ~ N(mu, std²I): √(1 − ᾱ_t)·(x_t − √ᾱ_t·μ) / (ᾱ_t·std² + 1 − ᾱ_t).

    The same predictor as reference.GaussianOptimalEps (a test holds them together), written here from a plain
    (T,) ᾱ table because the worker cannot import `reference`.
    """

    def __init__(self, alpha_bar: torch.Tensor, mu: float, std: float):
        self.alpha_bar, self.mu, self.std = alpha_bar.to(torch.float64), mu, std

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = self.alpha_bar[t].to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))  # (B, 1, …)
        return (1 - ab).sqrt() * (x_t - ab.sqrt() * self.mu) / (ab * self.std**2 + 1 - ab)


class SpyModel:
    """An ε-predictor `model(x_t, t)` that records the timesteps it is called with.

    t may be a (B,) integer tensor, a 0-d one or an int; it is clamped into [0, T−1] before use, so a t + 1
    mistake still runs and shows in `calls`.
    """

    def __init__(self, eps_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], T: int):
        self.eps_fn, self.T = eps_fn, T
        self.calls: list[list[int]] = []  # the t values of each call

    def __call__(self, x_t: torch.Tensor, t) -> torch.Tensor:
        if isinstance(t, torch.Tensor):
            if t.is_floating_point() or t.is_complex():
                raise TypeError(f"model(x_t, t) takes t as a (B,) long tensor; got dtype {t.dtype}")
            t = t.reshape(-1).to(torch.long)
        elif isinstance(t, int):
            t = torch.tensor([t])
        else:
            raise TypeError(f"model(x_t, t) takes t as a (B,) long tensor; got {type(t).__name__}")
        if t.numel() == 1:
            t = t.expand(x_t.shape[0])
        if t.numel() != x_t.shape[0]:
            raise ValueError(f"model(x_t, t): t holds {t.numel()} timesteps for a batch of {x_t.shape[0]}")
        if len(self.calls) < 100_000:
            self.calls.append(t.tolist())
        return self.eps_fn(x_t, t.clamp(0, self.T - 1))


def eps_model(spec: dict) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The bare ε-function a model spec names: {"kind": "toy"} or {"kind": "gaussian", "alpha_bar", "mu", "std"}."""
    if spec["kind"] == "toy":
        return toy_eps
    if spec["kind"] == "gaussian":
        return GaussianEps(torch.tensor(spec["alpha_bar"], dtype=torch.float64), spec["mu"], spec["std"])
    raise ValueError(f"unknown stand-in model {spec['kind']!r}")


class ToyDecoder:
    """A stand-in VAE decoder: z (B, dim) -> tanh(z·W + b), (B, 1, 8, 8), with W and b fixed by `dim`.

    Nonlinear, so decoding the standardised latent instead of the un-standardised one shows in its output.
    """

    def __init__(self, dim: int):
        g = torch.Generator().manual_seed(64_000 + dim)
        self.dim = dim
        self.weight = torch.randn(dim, 64, generator=g, dtype=torch.float64) / dim**0.5  # (dim, 64)
        self.bias = 0.1 * torch.randn(64, generator=g, dtype=torch.float64)  # (64,)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"decoder(z) takes z of shape (B, {self.dim}); got {shape}")
        return torch.tanh(z @ self.weight.to(z.dtype) + self.bias.to(z.dtype)).reshape(-1, 1, 8, 8)


def model_from_spec(spec: dict) -> SpyModel | ToyDecoder:
    """The spy over the stand-in a spec names (spec["T"] is the schedule's length), or {"kind": "decoder", "dim"}."""
    if spec["kind"] == "decoder":
        return ToyDecoder(int(spec["dim"]))
    return SpyModel(eps_model(spec), int(spec["T"]))
