"""Do q(x_t | x_0) and the posterior q(x_{t-1} | x_t, x_0) behave as the closed forms and Bayes' rule say?"""
import math

import numpy as np
import pytest
import torch

from reference import (Schedule, predict_eps_from_v, predict_eps_from_x0, predict_x0_from_eps, predict_x0_from_v,
                       q_mean_variance, q_posterior_mean_variance, diffuse, v_from_x0_eps)


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("t", [0, 300, 999])
def test_q_sample_empirical_moments(name, t):
    """Over 200 000 draws, are the mean and variance of x_t those of eq. 4, ᾱ computed here by numpy?"""
    schedule = Schedule.from_name(name, 1000)
    alpha_bar = np.cumprod(1 - schedule.betas.numpy())[t]
    g = torch.Generator().manual_seed(t)
    x0 = torch.full((200_000, 1), 1.7, dtype=torch.float64)
    x_t = diffuse(x0, torch.full((200_000,), t), torch.randn(x0.shape, generator=g, dtype=torch.float64), schedule.alpha_bar)
    n = x0.shape[0]
    var = 1 - alpha_bar
    assert abs(x_t.mean().item() - math.sqrt(alpha_bar) * 1.7) < 5 * math.sqrt(var / n)
    assert abs(x_t.var().item() - var) < 5 * var * math.sqrt(2 / n)
    mean, variance = q_mean_variance(x0[:1], t, schedule)
    assert mean.item() == pytest.approx(math.sqrt(alpha_bar) * 1.7, rel=1e-12)
    assert variance == pytest.approx(var, rel=1e-12)


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("t", [1, 10, 500, 999])
def test_posterior_is_bayes_rule_in_1d(name, t):
    """Is q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1})·q(x_{t-1} | x_0), integrated on a fine 1-D grid, eqs. 6–7?"""
    schedule = Schedule.from_name(name, 1000)
    betas = schedule.betas.numpy()
    alpha_bar = np.cumprod(1 - betas)
    x0, x_t = 0.8, -0.3
    prior_mean, prior_var = math.sqrt(alpha_bar[t - 1]) * x0, 1 - alpha_bar[t - 1]
    sd = math.sqrt(min(prior_var, betas[t]))
    grid = np.linspace(prior_mean - 40 * sd - 5, prior_mean + 40 * sd + 5, 400_001)
    log_p = (-(grid - prior_mean) ** 2 / (2 * prior_var)
             - (x_t - math.sqrt(1 - betas[t]) * grid) ** 2 / (2 * betas[t]))
    w = np.exp(log_p - log_p.max())
    w /= w.sum()
    bayes_mean = (w * grid).sum()
    bayes_var = (w * (grid - bayes_mean) ** 2).sum()
    mean, var, log_var = q_posterior_mean_variance(torch.tensor([[x0]], dtype=torch.float64),
                                                   torch.tensor([[x_t]], dtype=torch.float64), t, schedule)
    assert mean.item() == pytest.approx(bayes_mean, rel=1e-6, abs=1e-9)
    assert var == pytest.approx(bayes_var, rel=1e-4)
    assert log_var == pytest.approx(math.log(bayes_var), abs=1e-4)


def test_posterior_at_t0_is_x0():
    """At t = 0 (the paper's t = 1) x_{t-1} is x0 itself: mean x0, variance 0, and no wrap to ᾱ_T."""
    schedule = Schedule.from_name("linear", 1000)
    x0 = torch.randn(4, 3, dtype=torch.float64)
    x_t = torch.randn(4, 3, dtype=torch.float64)
    mean, var, _ = q_posterior_mean_variance(x0, x_t, torch.zeros(4, dtype=torch.long), schedule)
    torch.testing.assert_close(mean, x0)
    assert torch.all(var == 0)
    assert schedule.alpha_bar_prev[0] == 1


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conversions_round_trip(dtype):
    """Do ε → x̂0 → ε and x0, ε → v → x0, ε invert each other at every t, in either dtype?"""
    schedule = Schedule.from_name("cosine", 1000)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(1000, 2, generator=g, dtype=dtype)
    eps = torch.randn(x0.shape, generator=g, dtype=dtype)
    t = torch.arange(1000)
    x_t = diffuse(x0, t, eps, schedule.alpha_bar)
    tol = dict(rtol=1e-4, atol=1e-3) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(predict_eps_from_x0(x_t, t, predict_x0_from_eps(x_t, t, eps, schedule), schedule),
                               eps, **tol)
    v = v_from_x0_eps(x0, eps, t, schedule)
    torch.testing.assert_close(predict_x0_from_v(x_t, t, v, schedule), x0, **tol)
    torch.testing.assert_close(predict_eps_from_v(x_t, t, v, schedule), eps, **tol)
    assert predict_x0_from_eps(x_t, t, eps, schedule).dtype == dtype


def test_int_and_tensor_t_agree():
    """Does a Python int t give exactly what the same t as a (B,) tensor gives?"""
    schedule = Schedule.from_name("linear", 1000)
    x0 = torch.randn(5, 1, 8, 8)
    noise = torch.randn_like(x0)
    assert torch.equal(diffuse(x0, 417, noise, schedule.alpha_bar), diffuse(x0, torch.full((5,), 417), noise, schedule.alpha_bar))
