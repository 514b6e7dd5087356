"""Is `ddim_reverse_step` one step of eq. 12 for a whole batch or per example, and `vlb_term` one term of eq. 5 per
example?"""
import pytest
import torch

from reference import (GaussianOptimalEps, Schedule, ddim_reverse_step, ddim_steps, gaussian_log_likelihood, normal_kl,
                       diffuse, vlb_term)

MU, STD = 0.5, 0.8


@pytest.fixture(scope="module")
def setup():
    schedule = Schedule.from_name("cosine", 50)
    g = torch.Generator().manual_seed(0)
    x_t, noise = (torch.randn(5, 2, generator=g, dtype=torch.float64) for _ in range(2))
    return schedule, GaussianOptimalEps(MU, STD, schedule), x_t, noise


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_per_example_steps_equal_one_step_per_example(setup, eta):
    """Does a (B,) t and t_prev give, row by row, what an int t and t_prev give for that row alone?"""
    schedule, model, x_t, noise = setup
    t, t_prev = torch.tensor([49, 30, 7, 0, 1]), torch.tensor([20, -1, 6, -1, 0])
    batch = ddim_reverse_step(model, x_t, t, t_prev, schedule, eta, noise).x_prev
    rows = [ddim_reverse_step(model, x_t[i:i + 1], int(t[i]), int(t_prev[i]), schedule, eta, noise[i:i + 1]).x_prev
            for i in range(5)]
    torch.testing.assert_close(batch, torch.cat(rows), rtol=1e-12, atol=1e-12)


def test_the_last_step_lands_on_x0_pred(setup):
    """At t_prev = −1, ᾱ_prev = 1 and σ = 0: is x_prev the model's x̂0 itself, for any η?"""
    schedule, model, x_t, noise = setup
    for eta in (0.0, 1.0):
        step = ddim_reverse_step(model, x_t, 10, -1, schedule, eta, noise)
        torch.testing.assert_close(step.x_prev, step.x0_pred, rtol=1e-12, atol=1e-12)


def test_ddim_steps_walk_the_sub_sequence_with_ddim_reverse_step(setup):
    """Is ddim_steps the chain of ddim_reverse_step over timesteps[i] → timesteps[i − 1], noise i on step i?"""
    schedule, model, x_t, _ = setup
    timesteps = [4, 19, 33, 49]
    noises = torch.randn(4, 5, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = x_t
    for i in reversed(range(4)):
        x = ddim_reverse_step(model, x, timesteps[i], timesteps[i - 1] if i else -1, schedule, 0.7, noises[i]).x_prev
    last = list(ddim_steps(model, x_t, schedule, timesteps, 0.7, noises=noises))[-1].x_prev
    torch.testing.assert_close(last, x, rtol=0, atol=0)


@pytest.mark.parametrize("t, t_prev, eta, noise, message", [
    (10, 10, 0.0, None, "t_prev must lie in"),
    (10, -2, 0.0, None, "t_prev must lie in"),
    (50, 3, 0.0, None, "t must lie in"),
    (10, 3, 1.5, None, "eta must lie in"),
    (10, 3, 0.5, None, "needs `noise`"),
])
def test_ddim_step_errors(setup, t, t_prev, eta, noise, message):
    schedule, model, x_t, _ = setup
    with pytest.raises(ValueError, match=message):
        ddim_reverse_step(model, x_t, t, t_prev, schedule, eta, noise)


def test_vlb_term_is_the_kl_for_t_above_0_and_the_decoder_at_0(setup):
    """Per example with mixed t: is vlb_term the Gaussian KL between the posterior and p_θ where t ≥ 1, and the
    decoder's −log N(x0; μ_θ, σ²) where t = 0?"""
    schedule, model, _, noise = setup
    x0 = torch.randn(5, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * STD + MU
    t = torch.tensor([0, 1, 25, 49, 0])
    x_t = diffuse(x0, t, noise, schedule.alpha_bar)
    term = vlb_term(model, x0, x_t, t, schedule)
    s = schedule
    for i in (0, 1, 2, 3, 4):  # by hand from the schedule's β̃ and eq. 11's mean with σ² = β
        ti = int(t[i])
        eps = model(x_t[i:i + 1], t[i:i + 1])[0]
        mean_p = (x_t[i] - s.betas[ti] / s.sqrt_one_minus_alpha_bar[ti] * eps) / s.alphas[ti].sqrt()
        if ti == 0:
            # σ² at t = 0 is β̃ of the paper's t = 2, Ho et al.'s fixed_large convention
            expected = -gaussian_log_likelihood(x0[i], mean_p, s.posterior_variance[1].log()).sum()
        else:
            mean_q = s.posterior_mean_coef1[ti] * x0[i] + s.posterior_mean_coef2[ti] * x_t[i]
            expected = normal_kl(mean_q, s.posterior_variance[ti].log(), mean_p, s.betas[ti].log()).sum()
        torch.testing.assert_close(term[i], expected, rtol=1e-10, atol=1e-12)
