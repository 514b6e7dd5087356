"""Do the samplers follow Algorithm 2 and DDIM exactly: timestep order, noise, reproducibility and the data's law?"""
import math

import pytest
import torch

from reference import (GaussianOptimalEps, Schedule, ddim_timesteps, ddim_trajectory, ddpm_steps, ddpm_trajectory,
                       p_mean_variance, sample_ddim, sample_ddpm)

MU, STD = 0.5, 0.8


def moments_match(x, n_sigma=5):
    n = x.shape[0]
    assert torch.all((x.mean(0) - MU).abs() < n_sigma * STD / math.sqrt(n)), x.mean(0)
    assert torch.all((x.std(0) - STD).abs() < n_sigma * STD / math.sqrt(2 * n)), x.std(0)


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("variance", ["fixed_large", "fixed_small"])
def test_ddpm_with_the_optimal_model_reproduces_the_data(name, variance):
    """Sampling N(μ, s²) data with its optimal ε-model: do 20 000 samples have the data's mean and std?"""
    schedule = Schedule.from_name(name, 1000)
    x = sample_ddpm(GaussianOptimalEps(MU, STD, schedule), (20_000, 2), schedule, variance=variance,
                    generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    moments_match(x)


def test_ddim_with_every_step_reproduces_the_data():
    """Does deterministic DDIM over all T steps carry N(0, I) to the data's mean and std?"""
    schedule = Schedule.from_name("linear", 1000)
    x = sample_ddim(GaussianOptimalEps(MU, STD, schedule), (20_000, 2), schedule, steps=1000,
                    generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    moments_match(x)


def test_explicit_noises_make_ddpm_bit_for_bit_reproducible():
    """Given x_T and the noise sequence, are two runs identical bit for bit, whatever the global RNG does?"""
    schedule = Schedule.from_name("cosine", 100)
    model = GaussianOptimalEps(MU, STD, schedule)
    g = torch.Generator().manual_seed(9)
    x_T = torch.randn(8, 1, 8, 8, generator=g)
    noises = torch.randn(100, 8, 1, 8, 8, generator=g)
    first = sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=noises)
    torch.manual_seed(123)
    torch.randn(10)
    second = sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=noises)
    assert torch.equal(first, second)
    different = sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=noises.flip(0))
    assert not torch.equal(first, different)


def test_algorithm_2_uses_noises_t_and_none_at_t0():
    """Is z = noises[t] used at step t > 0, and no noise added at t = 0 (noises[0] has no effect)?"""
    schedule = Schedule.from_name("linear", 50)
    model = GaussianOptimalEps(MU, STD, schedule)
    x_T = torch.randn(4, 2, dtype=torch.float64)
    noises = torch.randn(50, 4, 2, dtype=torch.float64)
    changed0 = noises.clone()
    changed0[0] += 100
    assert torch.equal(sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=noises),
                       sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=changed0))
    steps = list(ddpm_steps(model, x_T, schedule, noises=noises))
    last_with_noise = steps[-2]  # t = 1
    p = p_mean_variance(model, last_with_noise.x_t, 1, schedule)
    torch.testing.assert_close(last_with_noise.x_prev, p.mean + math.sqrt(schedule.betas[1].item()) * noises[1])


def test_model_sees_every_timestep_once_in_reverse_order():
    """Does a spy model see t = T-1 … 0, once each, as (B,) long tensors on x's device?"""
    schedule = Schedule.from_name("linear", 30)
    seen = []

    def spy(x_t, t):
        assert t.dtype == torch.long and t.shape == (5,) and t.device == x_t.device
        seen.append(int(t[0]))
        return torch.zeros_like(x_t)

    calls = []
    sample_ddpm(spy, (5, 2), schedule, progress=lambda done, total: calls.append((done, total)))
    assert seen == list(range(29, -1, -1))
    assert calls == [(i, 30) for i in range(1, 31)]


def test_ddim_eta0_is_deterministic_and_has_a_trajectory():
    """With η = 0, does the result depend on x_T alone, and does the trajectory end at the sample?"""
    schedule = Schedule.from_name("cosine", 1000)
    model = GaussianOptimalEps(MU, STD, schedule)
    x_T = torch.randn(16, 2)
    a, traj = ddim_trajectory(model, (16, 2), schedule, steps=20, x_T=x_T, generator=torch.Generator().manual_seed(1))
    b = sample_ddim(model, (16, 2), schedule, steps=20, x_T=x_T, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert traj.timesteps == list(reversed(ddim_timesteps(1000, 20)))
    assert traj.x_t.shape == (21, 16, 2) and traj.x0_pred.shape == (20, 16, 2)
    assert torch.equal(traj.x_t[0], x_T) and torch.equal(traj.x_t[-1], a)
    c = sample_ddim(model, (16, 2), schedule, steps=20, eta=1.0, x_T=x_T, generator=torch.Generator().manual_seed(2))
    assert not torch.equal(a, c)


def test_ddim_with_eta1_over_all_steps_is_ddpm_with_small_variance():
    """Is DDIM with η = 1 and every timestep Algorithm 2 with σ² = β̃ (Song et al. §4.1), same noise stream?"""
    schedule = Schedule.from_name("linear", 100)
    model = GaussianOptimalEps(MU, STD, schedule)
    x_T = torch.randn(8, 2, dtype=torch.float64)
    ddim = sample_ddim(model, (8, 2), schedule, steps=100, eta=1.0, x_T=x_T, generator=torch.Generator().manual_seed(3))
    ddpm = sample_ddpm(model, (8, 2), schedule, x_T=x_T, variance="fixed_small", generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(ddim, ddpm, rtol=1e-9, atol=1e-9)


def test_clip_x0_bounds_the_prediction():
    """With clip_x0 = 1, does every x̂0 on the trajectory stay in [-1, 1]?"""
    schedule = Schedule.from_name("linear", 100)
    _, traj = ddpm_trajectory(GaussianOptimalEps(3.0, 0.1, schedule), (64, 2), schedule, clip_x0=1.0,
                              generator=torch.Generator().manual_seed(0))
    assert traj.x0_pred.abs().max() <= 1.0


@pytest.mark.parametrize("call,message", [
    (lambda m, s: sample_ddpm(m, (4, 2), s, noises=torch.zeros(9, 4, 2)), r"noises must have shape \(10, 4, 2\)"),
    (lambda m, s: sample_ddpm(m, (4, 2), s, x_T=torch.zeros(3, 2)), r"x_T must have shape \(4, 2\); got \(3, 2\)"),
    (lambda m, s: sample_ddpm(m, (0, 2), s), r"every size at least 1"),
    (lambda m, s: sample_ddpm(m, (4, 2), s, variance="learned"), r"variance must be 'fixed_large'"),
    (lambda m, s: sample_ddim(m, (4, 2), s, steps=11), r"steps must be an integer in \[1, T\] = \[1, 10\]; got 11"),
    (lambda m, s: sample_ddim(m, (4, 2), s, steps=0), r"got 0"),
    (lambda m, s: sample_ddim(m, (4, 2), s, steps=5, eta=1.5), r"eta must lie in \[0, 1\]; got 1.5"),
    (lambda m, s: sample_ddim(m, (4, 2), s, timesteps=[5, 2]), r"strictly increasing"),
    (lambda m, s: sample_ddim(m, (4, 2), s, timesteps=[0, 10]), r"in \[0, 9\]"),
    (lambda m, s: sample_ddpm(lambda x, t: x[:, :1], (4, 2), s), r"model\(x_t, t\) must return the shape of x_t"),
])
def test_sampler_errors(call, message):
    """Is each bad sampler argument refused with a message naming it?"""
    schedule = Schedule.from_name("cosine", 10)
    with pytest.raises(ValueError, match=message):
        call(GaussianOptimalEps(0.0, 1.0, schedule), schedule)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    """On a GPU, do diffuse (eq. 4), the bound, DDPM sampling, a per-example DDIM step and one bound term agree with the CPU
    in float64?"""
    from reference import ddim_reverse_step, diffuse, vlb_term, vlb_terms
    schedule = Schedule.from_name("linear", 1000)
    model = GaussianOptimalEps(MU, STD, schedule)
    cuda_schedule = schedule.to("cuda")
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(64, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.arange(64) * 15
    torch.testing.assert_close(diffuse(x0.cuda(), t.cuda(), noise.cuda(), cuda_schedule.alpha_bar).cpu(),
                               diffuse(x0, t, noise, schedule.alpha_bar))
    x_T = torch.randn(64, 2, generator=g, dtype=torch.float64)
    noises = torch.randn(1000, 64, 2, generator=g, dtype=torch.float64)
    gpu = sample_ddpm(model, x_T.shape, cuda_schedule, x_T=x_T.cuda(), noises=noises.cuda())
    torch.testing.assert_close(gpu.cpu(), sample_ddpm(model, x_T.shape, schedule, x_T=x_T, noises=noises))
    bound = vlb_terms(model, x0.cuda(), cuda_schedule)
    assert bound.terms.device.type == "cuda" and torch.isfinite(bound.total).all()
    t_each, t_prev_each = t + 10, t - 1  # a DDIM step per example, t_prev = −1 (the data) for the first
    step = {dev: ddim_reverse_step(model, x_T.to(dev), t_each.to(dev), t_prev_each.to(dev), sched, 0.5, noise.to(dev)).x_prev
            for dev, sched in (("cuda", cuda_schedule), ("cpu", schedule))}
    torch.testing.assert_close(step["cuda"].cpu(), step["cpu"])
    x_t = diffuse(x0, t, noise, schedule.alpha_bar)
    torch.testing.assert_close(vlb_term(model, x0.cuda(), x_t.cuda(), t.cuda(), cuda_schedule).cpu(),
                               vlb_term(model, x0, x_t, t, schedule))
