"""Is a schedule ending in β_T = 1 (zero terminal SNR, Lin et al. 2024) accepted by from_betas and load_schedule,
finite in every coefficient, and is β = 1 anywhere else refused with the reason?"""
import math

import pytest
import torch

import reference
from reference import Schedule

COEFFICIENTS = ("betas", "alphas", "alpha_bar", "alpha_bar_prev", "sqrt_alpha_bar", "sqrt_one_minus_alpha_bar", "snr",
                "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1",
                "posterior_mean_coef2", "log_betas_clipped")


def test_from_betas_accepts_beta_T_of_one_and_rebuilds_from_name():
    """Does from_betas take from_name's zero-terminal-SNR β back unchanged, with ᾱ_T = 0?"""
    zero = Schedule.from_name("linear", 100, zero_terminal_snr=True)
    assert zero.betas[-1] == 1
    again = Schedule.from_betas(zero.betas)
    for name in COEFFICIENTS:
        assert torch.equal(getattr(again, name), getattr(zero, name)), name
    assert again.alpha_bar[-1] == 0 and again.sqrt_one_minus_alpha_bar[-1] == 1


@pytest.mark.parametrize("betas", [[0.1, 0.5, 1.0], [1.0]])
def test_every_coefficient_stays_finite_with_beta_T_of_one(betas):
    """Are β̃_t, the clipped log variances, the posterior coefficients and the SNR finite, and log SNR −inf only
    at t = T?"""
    s = Schedule.from_betas(betas)
    for name in COEFFICIENTS:
        assert torch.isfinite(getattr(s, name)).all(), name
    T = len(betas)
    if T > 1:  # β̃_T = β_T (1 − ᾱ_{T−1}) / (1 − ᾱ_T) = 1 − ᾱ_{T−1} (eq. 7)
        assert s.posterior_variance[-1].item() == pytest.approx(1 - s.alpha_bar[-2].item(), rel=1e-15)
    log_snr = reference.log_snr(s)
    assert log_snr[-1] == -math.inf and torch.isfinite(log_snr[:-1]).all()


def test_x_T_is_pure_noise_and_the_prior_term_vanishes():
    """With ᾱ_T = 0, is diffuse at t = T the noise itself, the posterior finite there, and L_T exactly 0?"""
    s = Schedule.from_name("cosine", 50, zero_terminal_snr=True)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(6, 2, generator=g, dtype=torch.float64)
    eps = torch.randn(6, 2, generator=g, dtype=torch.float64)
    x_T = reference.diffuse(x0, s.T - 1, eps, s.alpha_bar)
    assert torch.equal(x_T, eps)
    mean, variance, log_variance = reference.q_posterior_mean_variance(x0, x_T, s.T - 1, s)
    assert torch.isfinite(mean).all() and math.isfinite(variance) and math.isfinite(log_variance)
    torch.testing.assert_close(mean, s.alpha_bar[-2].sqrt() * x0)  # x_T carries nothing: μ̃_T = √ᾱ_{T−1}·x0
    assert torch.equal(reference.prior_kl(x0, s), torch.zeros(6, dtype=torch.float64))
    end = reference.terminal_signal(s)
    assert end.alpha_bar_T == 0 and end.prior_bits_per_dim == 0 and end.negligible


@pytest.mark.parametrize("betas, message", [
    ([0.1, 1.0, 0.2], r"only the last β may be 1; got 1 at the paper's t = 2 \(code's index 1\) of T = 3: "
                      r"β_t = 1 sets ᾱ = 0 from t on"),
    ([1.0, 1.0], r"only the last β may be 1; got 1 at the paper's t = 1 \(code's index 0\) of T = 2"),
    ([0.1, 1.5], r"betas must lie in \(0, 1\), the last in \(0, 1\]; got 1.5 at the paper's t = 2 \(code's index 1\)"),
])
def test_beta_of_one_before_T_is_refused_with_the_reason(betas, message):
    """Is β = 1 before t = T, or β above 1 anywhere, refused, naming the paper's t and code's index?"""
    with pytest.raises(ValueError, match=message):
        Schedule.from_betas(betas)


def test_zero_terminal_snr_files_round_trip():
    """Do the page's .npz and JSON files of a zero-terminal-SNR schedule, and a .txt list ending in 1, load back?"""
    zero = Schedule.from_name("sigmoid", 200, zero_terminal_snr=True)
    assert torch.equal(reference.load_schedule(reference.schedule_to_npz(zero), "z.npz").betas, zero.betas)
    assert torch.equal(reference.load_schedule(reference.schedule_to_json(zero).encode(), "z.json").betas, zero.betas)
    assert reference.load_schedule(b"0.1 0.5 1", "z.txt").alpha_bar[-1] == 0
    assert reference.parse_betas("0.1, 0.5, 1.0").betas[-1] == 1
