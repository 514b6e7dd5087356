"""Are the schedules the published ones, and is every bad input refused with a message naming it?"""
import math

import pytest
import torch

from reference import SCHEDULE_NAMES, Schedule, check_t, extract, q_posterior_mean_variance, diffuse


def test_linear_matches_ho_et_al_and_scales_with_T():
    """Is linear β 1e-4 → 0.02 at T = 1000, and both ends ×2 at T = 500 (improved-diffusion's scaling)?"""
    s = Schedule.from_name("linear", 1000)
    assert s.betas[0].item() == pytest.approx(1e-4) and s.betas[-1].item() == pytest.approx(0.02)
    half = Schedule.from_name("linear", 500)
    assert half.betas[0].item() == pytest.approx(2e-4) and half.betas[-1].item() == pytest.approx(0.04)


def test_cosine_follows_nichol_dhariwal():
    """Does the cosine schedule's ᾱ_t follow f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), away from the clip?"""
    s = Schedule.from_name("cosine", 1000)
    f = lambda u: math.cos((u / 1000 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in [0, 10, 500, 900]:
        assert s.alpha_bar[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-9)
    assert s.betas.max().item() == pytest.approx(0.999)


def test_every_named_schedule_is_valid_and_decreasing():
    """Does every named schedule give β in (0, 1), ᾱ strictly decreasing, and float64 tensors of shape (T,)?"""
    for name in SCHEDULE_NAMES:
        s = Schedule.from_name(name, 300)
        assert s.T == 300 and s.betas.dtype == torch.float64
        assert torch.all((s.betas > 0) & (s.betas < 1))
        assert torch.all(s.alpha_bar[1:] < s.alpha_bar[:-1])
        assert s.alpha_bar_prev[0] == 1 and torch.equal(s.alpha_bar_prev[1:], s.alpha_bar[:-1])
        torch.testing.assert_close(s.snr, s.alpha_bar / (1 - s.alpha_bar))


def test_derived_coefficients():
    """Do β̃, the posterior coefficients and the clipped log variance follow eqs. 6–7 by their definitions?"""
    s = Schedule.from_betas([0.1, 0.2, 0.3])
    ab = [0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.7]
    assert s.posterior_variance.tolist() == pytest.approx([0.0, 0.2 * 0.1 / (1 - ab[1]), 0.3 * (1 - ab[1]) / (1 - ab[2])])
    assert s.posterior_log_variance_clipped[0].item() == pytest.approx(math.log(0.2 * 0.1 / (1 - ab[1])))
    assert s.posterior_mean_coef1[2].item() == pytest.approx(math.sqrt(ab[1]) * 0.3 / (1 - ab[2]))
    assert s.posterior_mean_coef2[2].item() == pytest.approx(math.sqrt(0.7) * (1 - ab[1]) / (1 - ab[2]))


def test_from_betas_T1_is_usable():
    """Is a one-step schedule accepted, with a finite clipped log variance?"""
    s = Schedule.from_betas([0.5])
    assert s.T == 1 and torch.isfinite(s.posterior_log_variance_clipped).all()


def test_to_moves_every_tensor():
    """Does .to(dtype) cast every coefficient and keep the schedule immutable?"""
    s = Schedule.from_name("cosine", 100)
    f32 = s.to(dtype=torch.float32)
    assert f32.alpha_bar.dtype == torch.float32 and f32.posterior_mean_coef1.dtype == torch.float32
    assert s.alpha_bar.dtype == torch.float64
    with pytest.raises(Exception):
        s.betas = None


@pytest.mark.parametrize("betas,message", [
    ([0.1, 1.2, 0.3], r"betas must lie in \(0, 1\), the last in \(0, 1\]; got 1.2 at the paper's t = 2 \(code's index 1\)"),
    ([0.1, 0.0], r"got 0 at the paper's t = 2 \(code's index 1\)"),
    ([-0.1], r"got -0.1 at the paper's t = 1 \(code's index 0\)"),
    ([0.1, float("nan")], r"NaN at the paper's t = 2 \(code's index 1\)"),
    ([], r"T must be at least 1"),
    ([[0.1, 0.2]], r"1-D \(T,\) sequence; got shape \(1, 2\)"),
    (["a", "b"], r"1-D sequence of numbers"),
])
def test_from_betas_rejects(betas, message):
    """Is each bad β sequence refused with a message naming the value and its index?"""
    with pytest.raises(ValueError, match=message):
        Schedule.from_betas(betas)


@pytest.mark.parametrize("kwargs,message", [
    (dict(name="exponential"), r"unknown schedule 'exponential'; choose one of linear, cosine"),
    (dict(name="linear", T=0), r"T must be an integer of at least 1; got 0"),
    (dict(name="linear", T=-5), r"got -5"),
    (dict(name="linear", T=10.5), r"got 10.5"),
    (dict(name="linear", T=10), r"beta_end must lie in \(0, 1\); got 2 at T=10"),
    (dict(name="linear", T=1000, beta_end=1.5), r"beta_end must lie in \(0, 1\); got 1.5"),
    (dict(name="cosine", T=1000, s=float("nan")), r"parameter s must be a finite number"),
    (dict(name="cosine", T=1000, beta_end=0.1), r"bad parameter for the cosine schedule"),
    (dict(name="cosine", T=1, zero_terminal_snr=True), r"zero_terminal_snr needs T of at least 2"),
])
def test_from_name_rejects(kwargs, message):
    """Is each bad name, T or parameter refused with a message naming it?"""
    with pytest.raises(ValueError, match=message):
        Schedule.from_name(**kwargs)


def test_reverse_variance_rejects_unknown_kind():
    """Is a variance other than σ² = β or β̃ refused?"""
    with pytest.raises(ValueError, match="'fixed_large'"):
        Schedule.from_name("linear", 100).reverse_variance("learned_range")


@pytest.mark.parametrize("t,message", [
    (1000, r"t must lie in \[0, T-1\] = \[0, 999\] \(0-indexed\); got 1000"),
    (-1, r"got -1"),
    (torch.tensor([0, 5, 1000]), r"got 1000"),
    (torch.tensor([0.0, 1.0, 2.0]), r"long tensor; got dtype torch.float32"),
    (torch.tensor([0, 1]), r"shape \(B,\) = \(3,\); got \(2,\)"),
    (2.0, r"int or a \(B,\) long tensor; got float"),
])
def test_bad_timesteps_are_refused(t, message):
    """Is an out-of-range, float or wrongly shaped t refused with the convention in the message?"""
    with pytest.raises(ValueError, match=message):
        check_t(t, torch.zeros(3, 2), 1000)


def test_q_functions_reject_mismatched_shapes():
    """Does diffuse refuse eps of another shape, and the posterior an x_t of another shape?"""
    s = Schedule.from_name("linear", 100)
    with pytest.raises(ValueError, match=r"eps must have the shape of x0 \(3, 2\); got \(3, 3\)"):
        diffuse(torch.zeros(3, 2), 5, torch.zeros(3, 3), s.alpha_bar)
    with pytest.raises(ValueError, match="x0 must have the shape of x_t"):
        q_posterior_mean_variance(torch.zeros(2, 2), torch.zeros(3, 2), 5, s)


def test_extract_broadcasts_to_batch_shape():
    """Does extract give (B, 1, 1, 1) in x's dtype for images, and a 0-dim tensor (never a float) for an int t?"""
    s = Schedule.from_name("linear", 100)
    x = torch.zeros(4, 1, 8, 8, dtype=torch.float32)
    out = extract(s.alpha_bar, torch.tensor([0, 1, 2, 99]), x)
    assert out.shape == (4, 1, 1, 1) and out.dtype == torch.float32
    assert out[3].item() == pytest.approx(s.alpha_bar[99].item(), rel=1e-6)
    one = extract(s.alpha_bar, 7, x)
    assert isinstance(one, torch.Tensor) and one.dim() == 0 and one.item() == s.alpha_bar[7].item()
