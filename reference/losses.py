"""The training loss and the variational bound, term by term (Ho et al. 2020, eqs. 5, 12, 14).

Everything stays per example, (B,) or (B, T), until the caller reduces it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from .diffusion import (PREDICTIONS, Model, _check_same_shape, p_mean_variance, q_mean_variance,
                        q_posterior_mean_variance, q_sample, v_from_x0_eps)
from .schedules import Schedule
from .timesteps import Timestep, extract, full_t

DECODERS = ("continuous", "discrete")


def normal_kl(mean1, logvar1, mean2, logvar2) -> torch.Tensor:
    """KL(N(mean1, e^logvar1) ‖ N(mean2, e^logvar2)), elementwise, in nats."""
    logvar1, logvar2 = (torch.as_tensor(v, dtype=mean1.dtype, device=mean1.device) for v in (logvar1, logvar2))
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2) - 1)


def gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, log_variance) -> torch.Tensor:
    """log N(x; mean, e^log_variance), elementwise, in nats: the L_0 decoder for continuous data."""
    log_variance = torch.as_tensor(log_variance, dtype=x.dtype, device=x.device)
    return -0.5 * (math.log(2 * math.pi) + log_variance + (x - mean) ** 2 * torch.exp(-log_variance))


def discretized_gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, log_variance) -> torch.Tensor:
    """log P(x) for 8-bit data scaled to [−1, 1] under N(mean, e^log_variance) integrated over x's bin (eq. 13).

    Bins have width 2/255; the edge bins extend to ±∞, as in Ho et al. Uses the exact normal CDF.
    """
    log_variance = torch.as_tensor(log_variance, dtype=x.dtype, device=x.device)
    inv_std = torch.exp(-0.5 * log_variance)
    upper = (x - mean + 1 / 255) * inv_std
    lower = (x - mean - 1 / 255) * inv_std
    log_cdf_upper = torch.special.log_ndtr(upper)  # used at the bottom edge, x = −1
    log_one_minus_cdf_lower = torch.special.log_ndtr(-lower)  # used at the top edge, x = 1
    # the middle bins: log(Φ(upper) − Φ(lower)) computed on the side of the mean where it does not cancel
    flip = torch.where(lower > 0, -1.0, 1.0)
    a, b = torch.maximum(upper * flip, lower * flip), torch.minimum(upper * flip, lower * flip)
    log_cdf_a = torch.special.log_ndtr(a)
    log_delta = log_cdf_a + torch.log((-torch.expm1(torch.special.log_ndtr(b) - log_cdf_a)).clamp(min=1e-300))
    return torch.where(x < -0.999, log_cdf_upper, torch.where(x > 0.999, log_one_minus_cdf_lower, log_delta))


def eps_weight(schedule: Schedule, variance: str = "fixed_large") -> torch.Tensor:
    """The eq. 12 weight β_t² / (2σ_t²·α_t·(1 − ᾱ_t)), (T,): L_t = weight_t·E‖ε − ε_θ‖² (summed over dims).

    L_simple (eq. 14) drops it, i.e. sets it to 1 (per dimension). With σ² = β the term also carries a constant
    from the variance mismatch, which does not depend on θ. Meaningful for t ≥ 1; t = 0 is the decoder.
    """
    var = schedule.reverse_variance(variance)[1].exp()
    return schedule.betas**2 / (2 * var * schedule.alphas * (1 - schedule.alpha_bar))


def eps_loss(model: Model, x0: torch.Tensor, t: Timestep, schedule: Schedule, noise: torch.Tensor,
             weighting: str = "simple", variance: str = "fixed_large") -> torch.Tensor:
    """‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² per example, (B,) (Algorithm 1).

    weighting="simple": the mean over dimensions, L_simple (eq. 14).
    weighting="vlb": the sum over dimensions times the eq. 12 weight: the bound's term L_t in nats, up to a
    constant independent of θ (zero for σ² = β̃).
    """
    if weighting not in ("simple", "vlb"):
        raise ValueError(f"weighting must be 'simple' or 'vlb'; got {weighting!r}")
    if weighting == "simple":
        return simple_loss(model, x0, t, schedule, noise, "eps")
    x_t = q_sample(x0, t, schedule, noise)
    eps_pred = model(x_t, full_t(t, x_t))
    _check_same_shape(noise=noise, eps_pred=eps_pred)
    sq_sum = ((noise - eps_pred) ** 2).flatten(1).sum(1)  # (B,)
    return sq_sum * extract(eps_weight(schedule, variance), t, sq_sum)


def simple_loss(model: Model, x0: torch.Tensor, t: Timestep, schedule: Schedule, noise: torch.Tensor,
                prediction: str = "eps") -> torch.Tensor:
    """The mean over dimensions of (target − model(x_t, t))² per example, (B,), x_t from eq. 4 with `noise`:
    L_simple of eq. 14 for an ε-model (target ε), and its analogue for a model of x0 (target x0) or of
    v = √ᾱ_t·ε − √(1 − ᾱ_t)·x0 (Salimans & Ho 2022). In ε's terms the x0-loss weighs step t by 1/SNR_t and the
    v-loss by 1 + 1/SNR_t (reference.inspection.loss_weight_on_eps).
    """
    if prediction not in PREDICTIONS:
        raise ValueError(f"prediction must be one of {', '.join(map(repr, PREDICTIONS))}; got {prediction!r}")
    x_t = q_sample(x0, t, schedule, noise)
    out = model(x_t, full_t(t, x_t))
    target = {"eps": noise, "x0": x0}.get(prediction)
    target = v_from_x0_eps(x0, noise, t, schedule) if target is None else target
    _check_same_shape(target=target, prediction=out)
    return ((target - out) ** 2).flatten(1).mean(1)


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


def _decoder_nll(x0, mean, log_variance, decoder: str) -> torch.Tensor:
    ll = gaussian_log_likelihood if decoder == "continuous" else discretized_gaussian_log_likelihood
    return -ll(x0, mean, log_variance).flatten(1).sum(1)


def vlb_term(model: Model, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, schedule: Schedule, *,
             variance: str = "fixed_large", decoder: str = "continuous", clip_x0: float | None = None,
             prediction: str = "eps") -> torch.Tensor:
    """The bound's term at each example's (0-indexed) t, given x_t, per example, (B,), in nats (eq. 5):

    - t ≥ 1 (paper's t + 1 ≥ 2): KL(q(x_{t-1} | x_t, x_0) ‖ p_θ(x_{t-1} | x_t)), the posterior of eqs. 6–7 against
      p_θ's Gaussian (mean from ε_θ, eq. 11; σ_t² by `variance`), summed over dimensions — the paper's L_{t};
    - t = 0 (paper's t = 1): the decoder's −log p_θ(x_0 | x_1), L_0.
    """
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}; got {decoder!r}")
    true_mean, _, true_log_var = q_posterior_mean_variance(x0, x_t, t, schedule)
    p = p_mean_variance(model, x_t, t, schedule, variance=variance, clip_x0=clip_x0, prediction=prediction)
    kl = normal_kl(true_mean, true_log_var, p.mean, p.log_variance).flatten(1).sum(1)  # (B,)
    nll = _decoder_nll(x0, p.mean, p.log_variance, decoder)  # (B,)
    return torch.where(full_t(t, x0) == 0, nll, kl)


def vlb_terms(model: Model, x0: torch.Tensor, schedule: Schedule, *, variance: str = "fixed_large",
              decoder: str = "continuous", clip_x0: float | None = None, seed: int = 0,
              max_rows: int = 65536, progress: Callable[[int, int], None] | None = None,
              prediction: str = "eps") -> VLBTerms:
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
            noise = torch.randn(x0_rep.shape, generator=generator, device=x0.device, dtype=x0.dtype)
            x_t = q_sample(x0_rep, t, schedule, noise)
            term = vlb_term(model, x0_rep, x_t, t, schedule, variance=variance, decoder=decoder, clip_x0=clip_x0,
                            prediction=prediction)
            terms[:, start:start + len(steps)] = term.reshape(len(steps), B).T
            if progress is not None:
                progress(start + len(steps), T)
        prior = prior_kl(x0, schedule)
    return VLBTerms(prior=prior, terms=terms, dims=x0[0].numel())
