"""The training losses (Ho et al. 2020, eqs. 12, 14) and the Gaussian densities and KL the bound is made of.

Everything stays per example, (B,), until the caller reduces it.
"""
from __future__ import annotations

import math

import torch

from .options import PREDICTIONS, WEIGHTINGS, Prediction, Variance, Weighting, check_option
from .p import Model, v_from_x0_eps
from .q import diffuse
from .schedules import Schedule
from .timesteps import Timestep, check_same_shape, extract, full_t


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


def eps_weight(schedule: Schedule, variance: Variance = "fixed_large") -> torch.Tensor:
    """The eq. 12 weight β_t² / (2σ_t²·α_t·(1 − ᾱ_t)), (T,): L_t = weight_t·E‖ε − ε_θ‖² (summed over dims).

    L_simple (eq. 14) drops it, i.e. sets it to 1 (per dimension). With σ² = β the term also carries a constant
    from the variance mismatch, which does not depend on θ. Meaningful for t ≥ 1; t = 0 is the decoder.
    """
    var = schedule.reverse_variance(variance)[1].exp()
    return schedule.betas**2 / (2 * var * schedule.alphas * (1 - schedule.alpha_bar))


def weighted_eps_loss(eps_model: Model, x0: torch.Tensor, t: Timestep, schedule: Schedule, eps: torch.Tensor,
                      weighting: Weighting = "simple", variance: Variance = "fixed_large") -> torch.Tensor:
    """‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² per example, (B,) (Algorithm 1), weighted as `weighting` says.

    weighting="simple": the mean over dimensions, L_simple (eq. 14).
    weighting="vlb": the sum over dimensions times the eq. 12 weight: the bound's term L_t in nats, up to a
    constant independent of θ (zero for σ² = β̃).
    (The notebook's `eps_loss(model, x0, t, noise, alpha_bar)` is the batch mean of the "simple" one.)
    """
    check_option("weighting", weighting, WEIGHTINGS)
    if weighting == "simple":
        return simple_loss(eps_model, x0, t, schedule, eps, "eps")
    x_t = diffuse(x0, t, eps, schedule.alpha_bar)
    eps_pred = eps_model(x_t, full_t(t, x_t))
    check_same_shape(eps=eps, eps_pred=eps_pred)
    sq_sum = ((eps - eps_pred) ** 2).flatten(1).sum(1)  # (B,)
    return sq_sum * extract(eps_weight(schedule, variance), t, sq_sum)


def simple_loss(model: Model, x0: torch.Tensor, t: Timestep, schedule: Schedule, eps: torch.Tensor,
                prediction: Prediction = "eps") -> torch.Tensor:
    """The mean over dimensions of (target − model(x_t, t))² per example, (B,), x_t from eq. 4 with ε = `eps`:
    L_simple of eq. 14 for an ε-model (target ε), and its analogue for a model of x0 (target x0) or of
    v = √ᾱ_t·ε − √(1 − ᾱ_t)·x0 (Salimans & Ho 2022). In ε's terms the x0-loss weighs step t by 1/SNR_t and the
    v-loss by 1 + 1/SNR_t (reference.diffusion.inspection.loss_weight_on_eps).
    """
    check_option("prediction", prediction, PREDICTIONS)
    x_t = diffuse(x0, t, eps, schedule.alpha_bar)
    out = model(x_t, full_t(t, x_t))
    target = {"eps": eps, "x0": x0}.get(prediction)
    target = v_from_x0_eps(x0, eps, t, schedule) if target is None else target
    check_same_shape(target=target, prediction=out)
    return ((target - out) ** 2).flatten(1).mean(1)
