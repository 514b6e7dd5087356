"""Is the variational bound (eq. 5) a true, tight bound, and are its pieces the textbook densities?

The exact answer: for x0 ~ N(μ, s²I) the optimal ε-predictor and the exact NLL are known in closed form
(reference/diffusion/analytic.py). Measured at T = 1000 with 16 384 2-D points, σ² = β: the bound sits 0.123 (linear) and
0.137 (cosine) nats/dim above the exact NLL (±0.008 Monte Carlo standard error); about 0.11 of that is the decoder
L_0, whose variance is β̃ at the paper's t = 2 (Ho et al.'s convention). With σ² = β̃ the gap is 0.55–0.60.
"""
import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import stats

from reference import (GaussianOptimalEps, Schedule, discretized_gaussian_log_likelihood, eps_weight,
                       gaussian_log_likelihood, gaussian_nll, normal_kl, prior_kl, q_posterior_mean_variance,
                       diffuse, p_mean_variance, vlb_terms, weighted_eps_loss)

MU, STD = 0.5, 0.8


def gaussian_data(n=16_384, seed=1):
    return MU + STD * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("name,variance,max_gap", [("linear", "fixed_large", 0.15), ("cosine", "fixed_large", 0.165),
                                                   ("linear", "fixed_small", 0.63), ("cosine", "fixed_small", 0.59)])
def test_bound_sits_just_above_exact_nll(name, variance, max_gap):
    """With the optimal ε-model, is the total bound ≥ the exact NLL, and within the measured gap of it?"""
    schedule = Schedule.from_name(name, 1000)
    x0 = gaussian_data()
    bound = vlb_terms(GaussianOptimalEps(MU, STD, schedule), x0, schedule, variance=variance)
    gap = (bound.total - gaussian_nll(x0, MU, STD)) / 2  # nats per dim, (B,)
    standard_error = gap.std().item() / math.sqrt(len(gap))
    assert gap.mean().item() > -3 * standard_error
    assert gap.mean().item() < max_gap
    assert bound.terms.shape == (16_384, 1000) and bound.prior.shape == (16_384,)


def test_a_worse_model_gets_a_worse_bound():
    """Does an ε-model fitted to the wrong data (N(0, 1)) score a clearly higher bound than the optimal one?"""
    schedule = Schedule.from_name("linear", 1000)
    x0 = gaussian_data(4096)
    best = vlb_terms(GaussianOptimalEps(MU, STD, schedule), x0, schedule).total.mean()
    wrong = vlb_terms(GaussianOptimalEps(0.0, 1.0, schedule), x0, schedule).total.mean()
    assert wrong > best + 0.1


def test_vlb_weighted_eps_loss_equals_the_kl_term():
    """With σ² = β̃, is the eq. 12-weighted ε-loss exactly KL(q(x_{t-1}|x_t,x0) ‖ p_θ(x_{t-1}|x_t)) for the same x_t,
    and does one int t give what the same t as a (B,) tensor gives?"""
    schedule = Schedule.from_name("cosine", 1000)
    model = GaussianOptimalEps(0.0, 1.3, schedule)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(64, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.randint(1, 1000, (64,), generator=g)
    x_t = diffuse(x0, t, noise, schedule.alpha_bar)
    true_mean, _, true_log_var = q_posterior_mean_variance(x0, x_t, t, schedule)
    p = p_mean_variance(model, x_t, t, schedule, variance="fixed_small")
    kl = normal_kl(true_mean, true_log_var, p.mean, p.log_variance).sum(1)
    weighted = weighted_eps_loss(model, x0, t, schedule, noise, weighting="vlb", variance="fixed_small")
    torch.testing.assert_close(weighted, kl, rtol=1e-7, atol=1e-10)
    one_t = weighted_eps_loss(model, x0, 417, schedule, noise, weighting="vlb", variance="fixed_small")
    torch.testing.assert_close(one_t, weighted_eps_loss(model, x0, torch.full((64,), 417), schedule, noise, weighting="vlb",
                                               variance="fixed_small"))
    simple = weighted_eps_loss(model, x0, t, schedule, noise)
    torch.testing.assert_close(simple, ((noise - model(x_t, t)) ** 2).mean(1))
    assert torch.all(eps_weight(schedule)[1:] > 0)


def test_vlb_terms_chunks_cover_every_t_once_and_bound_memory():
    """Does every (example, t) pair reach the model exactly once, in calls of at most max_rows rows?"""
    schedule = Schedule.from_name("linear", 50)
    seen = []

    def spy(x_t, t):
        seen.append(t.clone())
        assert x_t.shape[0] <= 70
        return torch.zeros_like(x_t)

    calls = []
    out = vlb_terms(spy, torch.randn(7, 2), schedule, max_rows=70, progress=lambda done, T: calls.append((done, T)))
    counts = torch.bincount(torch.cat(seen), minlength=50)
    assert torch.all(counts == 7)
    assert calls[-1] == (50, 50) and len(calls) == 5
    assert torch.isfinite(out.total).all()


def test_textbook_densities():
    """Are the Gaussian log density, the KL and the prior term what scipy and the closed form give?"""
    x, mean, log_var = torch.tensor([0.3, -1.2]), torch.tensor([0.1, 0.4]), torch.tensor([-0.5, 0.7])
    expected = stats.norm.logpdf(x.numpy(), mean.numpy(), np.exp(0.5 * log_var.numpy()))
    np.testing.assert_allclose(gaussian_log_likelihood(x, mean, log_var).numpy(), expected, rtol=1e-6)
    kl = normal_kl(torch.tensor(0.3), torch.tensor(math.log(0.5)), torch.tensor(-0.2), torch.tensor(0.0))
    assert kl.item() == pytest.approx(0.5 * (0.5 + 0.25 - 1 - math.log(0.5)), rel=1e-6)
    schedule = Schedule.from_name("linear", 50)
    x0 = torch.tensor([[2.0, -1.0]], dtype=torch.float64)
    ab = float(np.prod(1 - schedule.betas.numpy()))
    expected_prior = sum(0.5 * (ab * v**2 + (1 - ab) - 1 - math.log(1 - ab)) for v in (2.0, -1.0))
    assert prior_kl(x0, schedule).item() == pytest.approx(expected_prior, rel=1e-9)


@pytest.mark.parametrize("mean,log_var", [(0.0, math.log(0.01)), (0.9, math.log(1e-4)), (-0.95, 0.0), (0.2, -12.0)])
def test_discretized_decoder_is_a_distribution_over_256_bins(mean, log_var):
    """Do the 256 bin probabilities of the 8-bit decoder sum to 1 and match scipy's normal CDF bin by bin?"""
    bins = torch.linspace(-1, 1, 256, dtype=torch.float64)
    log_p = discretized_gaussian_log_likelihood(bins, torch.full_like(bins, mean), log_var)
    assert log_p.exp().sum().item() == pytest.approx(1.0, abs=1e-9)
    sd = mpmath.mpf(math.exp(0.5 * log_var))
    edges = [-mpmath.inf] + [mpmath.mpf(b) + mpmath.mpf(1) / 255 for b in bins.tolist()[:-1]] + [mpmath.inf]

    def bin_log_prob(lo, hi):  # on the side of the mean where the two CDF values do not both round to 1
        if lo > mean:
            return mpmath.log(mpmath.ncdf(mean - lo, 0, sd) - mpmath.ncdf(mean - hi, 0, sd))
        return mpmath.log(mpmath.ncdf(hi - mean, 0, sd) - mpmath.ncdf(lo - mean, 0, sd))

    with mpmath.workdps(60):
        expected = [bin_log_prob(lo, hi) for lo, hi in zip(edges, edges[1:])]
    np.testing.assert_allclose(log_p.numpy(), np.array(expected, dtype=float), rtol=1e-9)


def test_vlb_rejects_bad_options():
    """Are an unknown decoder or variance and an empty batch refused with a message naming them?"""
    schedule = Schedule.from_name("linear", 50)
    model = GaussianOptimalEps(0.0, 1.0, schedule)
    with pytest.raises(ValueError, match="decoder"):
        vlb_terms(model, torch.zeros(2, 2), schedule, decoder="bernoulli")
    with pytest.raises(ValueError, match="fixed_large"):
        vlb_terms(model, torch.zeros(2, 2), schedule, variance="learned")
    with pytest.raises(ValueError, match="at least one"):
        vlb_terms(model, torch.zeros(0, 2), schedule)
    with pytest.raises(ValueError, match="weighting"):
        weighted_eps_loss(model, torch.zeros(2, 2), 3, schedule, torch.zeros(2, 2), weighting="snr")
