"""The variational bound, term by term (Ho et al. 2020, eq. 5): L_T, the KLs L_{t-1} and the decoder L_0.

Everything stays per example, (B,) or (B, T), until the caller reduces it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from .losses import discretized_gaussian_log_likelihood, gaussian_log_likelihood, normal_kl
from .options import DECODERS, Decoder, Prediction, Variance, check_option
from .p import Model, p_mean_variance
from .posterior import q_posterior_mean_variance
from .q import diffuse, q_mean_variance
from .schedules import Schedule
from .timesteps import full_t


def prior_kl(x0: torch.Tensor, schedule: Schedule) -> torch.Tensor:
    """L_T = KL(q(x_T | x_0) ‖ N(0, I)) per example, (B,), in nats (eq. 5)."""
    mean, var = q_mean_variance(x0, schedule.T - 1, schedule)
    return normal_kl(mean, math.log(var), torch.zeros_like(x0), 0.0).flatten(1).sum(1)


@dataclass
class VLBTerms:
    """Every term of the bound (eq. 5) per example, in nats. `terms[:, 0]` is L_0 (decoder NLL), `terms[:, t]` is
    L_t = KL(q(x_t | x_{t+1}, x_0) ‖ p_θ(x_t | x_{t+1})) in the paper's indexing, `prior` is L_T."""

    prior: torch.Tensor  # (B,)
    terms: torch.Tensor  # (B, T)
    dims: int  # D, the number of dimensions per example

    @property
    def total(self) -> torch.Tensor:  # (B,)
        return self.prior + self.terms.sum(1)

    def bits_per_dim(self, nats: torch.Tensor) -> torch.Tensor:
        """Convert any of the fields (nats per example) to bits per dimension."""
        return nats / (self.dims * math.log(2))


def _decoder_nll(x0, mean, log_variance, decoder: Decoder) -> torch.Tensor:
    ll = gaussian_log_likelihood if decoder == "continuous" else discretized_gaussian_log_likelihood
    return -ll(x0, mean, log_variance).flatten(1).sum(1)


def vlb_term(model: Model, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, schedule: Schedule, *,
             variance: Variance = "fixed_large", decoder: Decoder = "continuous", clip_x0: float | None = None,
             prediction: Prediction = "eps") -> torch.Tensor:
    """The bound's term at each example's (0-indexed) t, given x_t, per example, (B,), in nats (eq. 5):

    - t ≥ 1 (paper's t + 1 ≥ 2): KL(q(x_{t-1} | x_t, x_0) ‖ p_θ(x_{t-1} | x_t)), the posterior of eqs. 6–7 against
      p_θ's Gaussian (mean from ε_θ, eq. 11; σ_t² by `variance`), summed over dimensions — the paper's L_{t};
    - t = 0 (paper's t = 1): the decoder's −log p_θ(x_0 | x_1), L_0.
    """
    check_option("decoder", decoder, DECODERS)
    true_mean, _, true_log_var = q_posterior_mean_variance(x0, x_t, t, schedule)
    p = p_mean_variance(model, x_t, t, schedule, variance=variance, clip_x0=clip_x0, prediction=prediction)
    kl = normal_kl(true_mean, true_log_var, p.mean, p.log_variance).flatten(1).sum(1)  # (B,)
    nll = _decoder_nll(x0, p.mean, p.log_variance, decoder)  # (B,)
    return torch.where(full_t(t, x0) == 0, nll, kl)


def vlb_terms(model: Model, x0: torch.Tensor, schedule: Schedule, *, variance: Variance = "fixed_large",
              decoder: Decoder = "continuous", clip_x0: float | None = None, seed: int = 0,
              max_rows: int = 65536, progress: Callable[[int, int], None] | None = None,
              prediction: Prediction = "eps") -> VLBTerms:
    """All T + 1 terms of the bound for every example in x0, (B, *S), with one x_t ~ q(x_t | x_0) per term.

    decoder: "continuous" (Gaussian density) or "discrete" (8-bit images in [−1, 1], Ho et al. eq. 13).
    The T timesteps run in chunks of at most `max_rows` model rows, so memory stays bounded for any T and B;
    `progress(done, T)` is called after each chunk.
    """
    schedule.reverse_variance(variance)  # validates the name
    B, T = x0.shape[0], schedule.T
    if B < 1:
        raise ValueError("x0 must hold at least one example")
    generator = torch.Generator(device=x0.device).manual_seed(seed)
    chunk = max(1, max_rows // B)
    terms = torch.empty(B, T, dtype=x0.dtype, device=x0.device)
    with torch.no_grad():
        for start in range(0, T, chunk):
            steps = torch.arange(start, min(start + chunk, T), device=x0.device)  # (C,)
            t = steps.repeat_interleave(B)  # (C·B,), the chunk's timesteps, example-major within each t
            x0_rep = x0.repeat(len(steps), *([1] * (x0.dim() - 1)))  # (C·B, *S)
            eps = torch.randn(x0_rep.shape, generator=generator, device=x0.device, dtype=x0.dtype)
            x_t = diffuse(x0_rep, t, eps, schedule.alpha_bar)
            term = vlb_term(model, x0_rep, x_t, t, schedule, variance=variance, decoder=decoder, clip_x0=clip_x0,
                            prediction=prediction)
            terms[:, start:start + len(steps)] = term.reshape(len(steps), B).T
            if progress is not None:
                progress(start + len(steps), T)
        prior = prior_kl(x0, schedule)
    return VLBTerms(prior=prior, terms=terms, dims=x0[0].numel())
