"""Are the stand-in networks the worker hands a student the same functions the grader's truth is computed with?

graders/engine/stand_ins.py cannot import `reference` (the confined worker has no copy of it), so GaussianEps repeats
reference.GaussianOptimalEps from a plain ᾱ table; these tests hold the two together, and check that the model a
worker builds from a task's plain-data inputs is the one behind that task's expected answer.
"""
from __future__ import annotations

import pytest
import torch

import reference
from graders.engine import judging as engine
from graders.engine.stand_ins import GaussianEps, SpyModel, model_from_spec, toy_eps
from graders.engine.tasks import ddpm_core, tasks_of

TASKS = tasks_of("ddpm_core")


@pytest.mark.parametrize("schedule_name", ["linear", "cosine"])
@pytest.mark.parametrize("T", [50, 1000])
def test_gaussian_stand_in_equals_the_reference(schedule_name, T):
    """Does GaussianEps give reference.GaussianOptimalEps's ε* on random x_t, every t, float32 and float64?"""
    schedule = reference.Schedule.from_name(schedule_name, T)
    g = torch.Generator().manual_seed(T)
    for mu, std in ((0.5, 0.5), (-1.0, 2.0)):
        ours, theirs = GaussianEps(schedule.alpha_bar, mu, std), reference.GaussianOptimalEps(mu, std, schedule)
        for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
            x_t = (3 * torch.randn(64, 1, 8, 8, generator=g, dtype=torch.float64)).to(dtype)
            t = torch.randint(0, T, (64,), generator=g)
            t[:2] = torch.tensor([0, T - 1])
            got, want = ours(x_t, t), theirs(x_t, t)
            assert got.dtype == dtype and got.shape == want.shape
            torch.testing.assert_close(got, want.to(dtype), rtol=tol, atol=tol)


def test_eps_loss_worker_model_is_the_truths_model():
    """Is the spied model the worker builds for eps_loss toy_eps, and the task's truth L_simple with toy_eps?"""
    spec = TASKS["eps_loss"]
    plan = engine.plan(spec, "full")
    for case, inputs, wire in zip(plan.cases, plan.inputs, plan.wire):
        model = model_from_spec(wire[0]["model"])
        assert isinstance(model, SpyModel) and model.eps_fn is toy_eps and model.T == case.T
        _, x0, t, eps, _ = (a.double() if isinstance(a, torch.Tensor) and a.is_floating_point() else a
                            for a in inputs)
        want = reference.weighted_eps_loss(toy_eps, x0, t, case.schedule, eps).mean()
        assert torch.equal(spec.truth(case, inputs), want)
        assert not torch.allclose(want, reference.weighted_eps_loss(lambda x, t: 0 * x, x0, t, case.schedule, eps).mean())


def test_sample_loop_worker_model_is_the_truths_model():
    """Is the model the worker builds for sample_loop GaussianEps over the case's ᾱ, and does sampling with the
    reference's own GaussianOptimalEps give the task's truth?"""
    spec = TASKS["sample_loop"]
    plan = engine.plan(spec, "sanity")
    for case, inputs, wire in zip(plan.cases, plan.inputs, plan.wire):
        model = model_from_spec(wire[0]["model"])
        assert isinstance(model.eps_fn, GaussianEps) and model.T == case.T
        assert torch.equal(model.eps_fn.alpha_bar, case.schedule.alpha_bar)
        assert (model.eps_fn.mu, model.eps_fn.std) == (ddpm_core.GAUSSIAN["mu"], ddpm_core.GAUSSIAN["std"])
        _, x_T, _, noises = inputs
        optimal = reference.GaussianOptimalEps(schedule=case.schedule, **ddpm_core.GAUSSIAN)
        want = reference.sample_ddpm(optimal, x_T.shape, case.schedule, x_T=x_T.double(), noises=noises.double())
        torch.testing.assert_close(spec.truth(case, inputs), want, rtol=1e-12, atol=1e-12)


def test_toy_eps_tells_neighbouring_timesteps_apart():
    """Does toy_eps differ clearly at t and t + 1, so a shifted t shows in the numbers, not only in the spy?"""
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    t = torch.arange(5)
    assert float((toy_eps(x, t) - toy_eps(x, t + 1)).abs().min()) > 0.01
