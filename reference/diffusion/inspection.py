"""Numbers the lab's pages show on top of the core: log-SNR, how much signal x_T keeps, and the bound summarised
term by term (Ho et al. 2020, eq. 5). Code's t is 0-indexed; the paper's t is t + 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .bound import VLBTerms, prior_kl
from .losses import eps_weight
from .options import PREDICTIONS, Prediction, Variance, check_option
from .schedules import Schedule

# L_T above this many bits per dimension is no longer negligible next to a bound of a few bits/dim.
PRIOR_NEGLIGIBLE_BITS = 1e-3


def log_snr(schedule: Schedule) -> torch.Tensor:
    """log SNR_t = log(ᾱ_t / (1 − ᾱ_t)), (T,); −inf where ᾱ_t = 0 (zero terminal SNR)."""
    return torch.log(schedule.alpha_bar) - torch.log1p(-schedule.alpha_bar)


@dataclass(frozen=True)
class TerminalSignal:
    """How far q(x_T | x_0) is from the prior N(0, I): ᾱ_T and L_T in bits/dim for data with E[x0²] = 1 per dim."""

    alpha_bar_T: float
    prior_bits_per_dim: float
    negligible: bool


def terminal_signal(schedule: Schedule, second_moment: float = 1.0) -> TerminalSignal:
    """ᾱ_T and the expected prior term L_T = E KL(N(√ᾱ_T·x0, (1 − ᾱ_T)I) ‖ N(0, I)) per dimension (eq. 5).

    Per dimension, with E[x0²] = `second_moment`: L_T = ½(ᾱ_T·(E[x0²] − 1) − log(1 − ᾱ_T)) nats, shown in bits.
    `negligible` is L_T < PRIOR_NEGLIGIBLE_BITS.
    """
    alpha_bar_T = float(schedule.alpha_bar[-1])
    nats = 0.5 * (alpha_bar_T * (second_moment - 1) - math.log1p(-alpha_bar_T))
    bits = nats / math.log(2)
    return TerminalSignal(alpha_bar_T, bits, bits < PRIOR_NEGLIGIBLE_BITS)


@dataclass(frozen=True)
class PriorMatching:
    """The prior-matching term L_T = KL(q(x_T | x_0) ‖ N(0, I)) (eq. 5) on a batch, in bits/dim, computed two ways in
    float64: the batch mean of `prior_kl`, and `terminal_signal` for the batch's E[x0²]. They agree to rounding."""

    alpha_bar_T: float
    second_moment: float  # E[x0²], over the batch and the dimensions
    measured: float  # mean over the batch of prior_kl / (D·ln 2)
    closed_form: float  # terminal_signal(schedule, second_moment).prior_bits_per_dim
    negligible: bool  # closed_form < PRIOR_NEGLIGIBLE_BITS


def prior_matching(x0: torch.Tensor, schedule: Schedule) -> PriorMatching:
    """L_T for the examples x0, (B, *S), both ways, in float64: at ᾱ_T ≈ 1e-9 float32 rounds 1 − ᾱ_T to 1."""
    x0 = x0.double().cpu()
    dims = x0[0].numel()
    second_moment = float(x0.pow(2).mean())
    end = terminal_signal(schedule, second_moment)
    measured = float(prior_kl(x0, schedule).mean()) / (dims * math.log(2))
    return PriorMatching(end.alpha_bar_T, second_moment, measured, end.prior_bits_per_dim, end.negligible)


@dataclass(frozen=True)
class BoundSummary:
    """The bound (eq. 5) averaged over a batch of n examples, in bits/dim.

    `per_term[k]` is L_k for k = 0 … T: L_0 the decoder, L_1 … L_{T−1} the denoising KLs, L_T the prior.
    `total_se` is the standard error of `total`: the sample standard deviation of the n per-example totals over √n
    (NaN for n = 1).
    """

    per_term: torch.Tensor  # (T + 1,)
    cumulative: torch.Tensor  # (T + 1,), cumulative[-1] == total
    total: float
    total_se: float
    n: int
    reconstruction: float  # L_0
    denoising: float  # L_1 + … + L_{T−1}
    prior: float  # L_T


def summarize_bound(vlb: VLBTerms) -> BoundSummary:
    """Batch means of every term of `vlb` in bits/dim, their running sum, the three-way split of eq. 5, and the
    total's standard error over the batch."""
    per_example = torch.cat([vlb.terms, vlb.prior[:, None]], dim=1)  # (B, T + 1)
    per_term = vlb.bits_per_dim(per_example).mean(0).double()  # (T + 1,)
    totals = vlb.bits_per_dim(per_example.double().sum(1))  # (B,)
    n = totals.shape[0]
    return BoundSummary(
        per_term=per_term,
        cumulative=per_term.cumsum(0),
        total=float(per_term.sum()),
        total_se=float(totals.std() / math.sqrt(n)) if n > 1 else math.nan,
        n=n,
        reconstruction=float(per_term[0]),
        denoising=float(per_term[1:-1].sum()),
        prior=float(per_term[-1]),
    )


def loss_weight_on_eps(schedule: Schedule, prediction: Prediction) -> torch.Tensor:
    """How a simple loss of each output type (reference.diffusion.losses.simple_loss) weighs the ε error at each t, (T,), relative to
    ε's own L_simple: 1 for "eps"; 1/SNR_t for "x0", since x0 − x̂0 = √((1 − ᾱ_t)/ᾱ_t)·(ε − ε̂) by eq. 4; and
    1/ᾱ_t = 1 + 1/SNR_t for "v", since v − v̂ = (ε − ε̂)/√ᾱ_t (Salimans & Ho 2022, §4; Kingma et al. 2021)."""
    check_option("prediction", prediction, PREDICTIONS)
    if prediction == "eps":
        return torch.ones_like(schedule.alpha_bar)
    return 1 / schedule.snr if prediction == "x0" else 1 / schedule.alpha_bar


def eps_weight_over_simple(schedule: Schedule, variance: Variance, dims: int) -> torch.Tensor:
    """D·(eq. 12 weight), (T,): how many times more the true term L_t weighs E‖ε − ε_θ‖² than L_simple does.

    L_simple (eq. 14) is the mean over D dimensions, a weight of 1/D on the summed square error at every t;
    L_t (eq. 12) puts β_t² / (2σ_t²·α_t·(1 − ᾱ_t)) on it. Meaningful for t ≥ 1 (t = 0 is the decoder).
    """
    if dims < 1:
        raise ValueError(f"dims must be at least 1; got {dims}")
    return dims * eps_weight(schedule, variance)
