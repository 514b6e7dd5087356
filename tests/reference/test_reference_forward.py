"""Does the forward chain of eq. 2, step by step, draw x_t from the distribution of the one jump of eq. 4; does the
unscaled chain's variance grow as 1 + Σβ; and does Bayes' rule on a grid give eq. 7's posterior?"""
import math

import pytest
import torch

import reference
from reference import Schedule

N = 4000  # points per chain: a standard error of about 0.016 on each moment
CHECK_T = (0, 9, 99, 249, 499, 999)  # code's t (the paper's 1, 10, 100, 250, 500, 1000)


def toy_x0(n: int = N) -> torch.Tensor:
    return reference.standardize(reference.make_toy("moons", n, seed=0))  # (n, 2), variance 1 per coordinate


def jump_moments(x0: torch.Tensor, t: int, schedule: Schedule, seed: int) -> reference.Moments:
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    return reference.moments(reference.diffuse(x0, t, noise, schedule.alpha_bar))


def test_one_step_from_x0_is_the_jump_to_x1():
    """With the same ε, is one step of eq. 2 from x0 exactly eq. 4's x_1 (ᾱ_1 = α_1), for an int and a (B,) t?"""
    s = Schedule.from_name("cosine", 100)
    x0 = torch.randn(5, 1, 8, 8, dtype=torch.float64)
    eps = torch.randn_like(x0)
    torch.testing.assert_close(reference.q_step_sample(x0, 0, s, eps), reference.diffuse(x0, 0, eps, s.alpha_bar),
                               rtol=1e-14, atol=1e-14)
    t = torch.tensor([0, 3, 50, 99, 7])
    expected = (1 - s.betas[t]).sqrt()[:, None, None, None] * x0 + s.betas[t].sqrt()[:, None, None, None] * eps
    torch.testing.assert_close(reference.q_step_sample(x0, t, s, eps), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_chain_moments_match_the_jump_and_the_closed_form(name):
    """At every t, are the chain's mean and variance per coordinate within 5 standard errors of eq. 4's exact moments,
    and at six t within 4 of a separate sample drawn by diffuse (eq. 4)?"""
    s = Schedule.from_name(name, 1000)
    x0 = toy_x0()
    chain = reference.chain_moments(x0, s, torch.Generator().manual_seed(1))
    assert chain.mean.shape == chain.variance.shape == (1000, 2) and chain.n == N
    data = reference.moments(x0)
    exact_mean, exact_variance = reference.marginal_moments(data.mean, data.variance, s)
    torch.testing.assert_close(exact_variance, torch.ones(1000, 2, dtype=torch.float64), rtol=1e-6, atol=1e-6)
    assert ((chain.mean - exact_mean).abs() / chain.mean_se).max() < 5
    assert ((chain.variance - exact_variance).abs() / chain.variance_se).max() < 5
    for t in CHECK_T:
        jump = jump_moments(x0, t, s, seed=100 + t)
        row = reference.Moments(chain.mean[t], chain.variance[t], chain.mean_se[t], chain.variance_se[t], N)
        gap_mean, gap_variance = reference.moments_gap(row, jump)
        assert gap_mean.abs().max() < 4 and gap_variance.abs().max() < 4, (t, gap_mean, gap_variance)


def test_the_same_check_catches_a_chain_with_beta_for_its_square_root():
    """Would the check above fail a chain that adds β_t·ε instead of √β_t·ε (the variance then decays)?"""
    s = Schedule.from_name("linear", 1000)
    x0 = toy_x0()
    g = torch.Generator().manual_seed(1)
    x_t = x0
    for t in range(500):
        x_t = s.alphas[t].sqrt().float() * x_t + s.betas[t].float() * torch.randn(x_t.shape, generator=g)
    wrong = reference.moments(x_t)
    _, gap_variance = reference.moments_gap(wrong, jump_moments(x0, 499, s, seed=7))
    assert gap_variance.abs().min() > 10


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_unscaled_chain_variance_grows_as_one_plus_the_sum_of_betas(name):
    """Without √(1 − β_t), is the variance of unit-variance data 1 + Σ_{s≤t} β_s (within 5 standard errors at every
    t), so that it ends far above the 1 of eq. 2?"""
    s = Schedule.from_name(name, 1000)
    x0 = toy_x0()
    chain = reference.chain_moments(x0, s, torch.Generator().manual_seed(2), variance_preserving=False)
    expected = 1 + s.betas.cumsum(0)  # (T,)
    assert ((chain.variance - expected[:, None]).abs() / chain.variance_se).max() < 5
    _, exact = reference.marginal_moments(torch.zeros(2), torch.ones(2), s, variance_preserving=False)
    torch.testing.assert_close(exact, expected[:, None].expand(1000, 2))
    assert chain.variance[-1].min() > 10  # Σβ = 10.05 for the linear schedule, more for cosine
    torch.testing.assert_close(chain.mean, torch.zeros_like(chain.mean), atol=5 * float(chain.mean_se.max()), rtol=0)


def test_a_chain_stopped_at_t_is_the_long_chain_at_t():
    """With the same seed, is x_t of a chain stopped at t the one whose moments chain_moments reports at t?"""
    s = Schedule.from_name("linear", 200)
    x0 = toy_x0(500)
    for t, x_t in reference.q_chain(x0, s, torch.Generator().manual_seed(3)):
        if t == 120:
            break
    full = reference.chain_moments(x0, s, torch.Generator().manual_seed(3))
    torch.testing.assert_close(reference.moments(x_t).variance, full.variance[120], rtol=0, atol=0)


def test_moments_standard_errors_are_right_for_a_known_distribution():
    """For 200 batches of N(0, 4), is the spread of the batch means and variances what mean_se and variance_se say?"""
    x = 2 * torch.randn(200, 1000, 1, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    m = [reference.moments(batch) for batch in x]
    means, variances = torch.stack([r.mean for r in m]), torch.stack([r.variance for r in m])
    assert float(means.std()) == pytest.approx(2 / math.sqrt(1000), rel=0.15)
    assert float(m[0].mean_se) == pytest.approx(2 / math.sqrt(1000), rel=0.1)
    assert float(variances.std()) == pytest.approx(4 * math.sqrt(2 / 999), rel=0.15)  # Var s² = 2σ⁴/(n − 1)
    assert float(m[0].variance_se) == pytest.approx(4 * math.sqrt(2 / 999), rel=0.15)


@pytest.mark.parametrize("name, zero_snr", [("linear", False), ("cosine", False), ("linear", True)])
@pytest.mark.parametrize("t", [1, 2, 50, 999])
def test_posterior_on_grid_is_eq_7(name, zero_snr, t):
    """Does Bayes' rule on a grid, q(x_t | x_{t-1})·q(x_{t-1} | x0) normalised numerically, give N(μ̃_t, β̃_t), with
    a zero-terminal-SNR schedule's β_T = 1 at t = T included?"""
    s = Schedule.from_name(name, 1000, zero_terminal_snr=zero_snr)
    c = reference.posterior_check_1d(0.8, -0.3, t, s)
    mean, variance, _ = reference.q_posterior_mean_variance(torch.tensor([[0.8]], dtype=torch.float64),
                                                            torch.tensor([[-0.3]], dtype=torch.float64), t, s)
    assert c.posterior_mean == float(mean) and c.posterior_variance == variance
    assert c.max_abs_diff < 1e-9 * c.peak
    assert c.grid_mean == pytest.approx(c.posterior_mean, rel=1e-9, abs=1e-12)
    assert c.grid_variance == pytest.approx(c.posterior_variance, rel=1e-8)
    on_grid = reference.posterior_on_grid(0.8, -0.3, t, s)
    torch.testing.assert_close(on_grid.density, c.bayes)
    assert float(torch.trapezoid(on_grid.density, on_grid.grid)) == pytest.approx(1, rel=1e-12)


def test_posterior_on_grid_finds_a_posterior_far_from_both_peaks():
    """With x_t far out in the tail, does the grid still hold the posterior (between the two factors' peaks)?"""
    s = Schedule.from_name("linear", 1000)
    c = reference.posterior_check_1d(-3.0, 40.0, 10, s)
    assert c.max_abs_diff < 1e-9 * c.peak
    assert c.grid[0] < c.posterior_mean < c.grid[-1]


@pytest.mark.parametrize("call, message", [
    (lambda s, x: reference.q_step_sample(x, 100, s, torch.randn_like(x)), r"t must lie in \[0, T-1\] = \[0, 99\]"),
    (lambda s, x: reference.q_step_sample(x, 0, s, torch.randn(3, 3)), r"eps must have the shape of x_prev \(3, 2\)"),
    (lambda s, x: reference.q_step_sample(x, torch.tensor([0, 1]), s, torch.randn_like(x)),
     r"t must have shape \(B,\) = \(3,\)"),
    (lambda s, x: next(reference.q_chain(torch.ones(3, 2, dtype=torch.long), s)), "x0 must be a floating-point"),
    (lambda s, x: reference.moments(x[:2]), "at least 4 examples"),
    (lambda s, x: reference.marginal_moments(torch.zeros(2), torch.ones(3), s), "must have one shape"),
    (lambda s, x: reference.marginal_moments(torch.zeros(2), -torch.ones(2), s), "must not be negative"),
    (lambda s, x: reference.standardize(torch.ones(5, 2)), "a dimension of x0 is constant"),
    (lambda s, x: reference.posterior_on_grid(1.0, 0.5, 0, s), "point mass"),
    (lambda s, x: reference.posterior_on_grid(1.0, 0.5, 100, s), r"t must lie in \[1, T-1\] = \[1, 99\]"),
    (lambda s, x: reference.posterior_on_grid(1.0, 0.5, 5.0, s), "t must be an int"),
    (lambda s, x: reference.posterior_on_grid(float("nan"), 0.5, 5, s), "x0 must be a finite number; got nan"),
    (lambda s, x: reference.posterior_on_grid(1.0, 0.5, 5, s, n=2), r"n \(grid points\) must be an integer"),
])
def test_bad_input_raises_value_error_naming_the_problem(call, message):
    """Does each bad input raise ValueError saying what is wrong and with which value?"""
    with pytest.raises(ValueError, match=message):
        call(Schedule.from_name("linear", 100), torch.randn(3, 2))
