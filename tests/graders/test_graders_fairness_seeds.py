"""Does the grade stay the same whatever seed the course drew: full marks for every correct submission, exactly the
stated cost for a slip or a degenerate case, and a failure for a wrong formula?

A course grades with cases drawn from its own secret seed (graders/nbgrader/hidden_seed.py). bench/bench_fairness.py grades the
instructor's solutions and every variant of tests/test_graders_fairness*.py at 500 seeds; this runs the same at a
few dozen, among them the seeds whose float32 cases once gave a correct ddim_step NaN (η = 1, t = T − 1, cosine).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch

import test_graders_fairness as core
import test_graders_fairness_beyond as beyond
from graders.engine import judging as engine
from graders.engine.cases import PUBLIC_SEED
from graders.student.checks import run_check, run_plan
from graders.engine.notebook import solution_cells
from graders.engine.tasks import ASSIGNMENTS, assignment_of

ROOT = Path(__file__).resolve().parents[2]
# Seeds whose float32 cases with η = 1 gave a correct ddim_step NaN: the instructor's and the ports of Song et al.'s
# and diffusers' at the first twelve (55 of 500 seeds in all), step_where's and improved-diffusion's at 27 and 28.
NAN_SEEDS = [9, 13, 25, 27, 28, 49, 52, 70, 75, 82, 88, 90, 94, 97]
SEEDS = NAN_SEEDS + [0, 1, 2, 3, 36, 123, 4096, 65535, 10**6, PUBLIC_SEED, 2**40 - 1, 987654321]
# Every variant at both levels, a few seconds a seed; at 36, float32 coefficients give NaN on a float64 case's
# fragile example (η = 1, cosine, t = T − 1), which the precision slip allows.
VARIANT_SEEDS = [9, 25, 27, 36, PUBLIC_SEED]
VARIANTS = {**core.VARIANTS, **beyond.VARIANTS}
PRECISION_SLIPS = {**core.PRECISION_SLIPS, **beyond.PRECISION_SLIPS}
# Where float32 coefficients show past float64's tolerance, 1.5e-7·(1 + |truth|): at each of 500 seeds but one
# (ddim_step at seed 261, where they pass); in q_sample, posterior_mean and eps_loss they stay within it.
ALWAYS_SLIPS = ("sample_loop", "kl_term", "ddim_step", "ddim_sample", "sample_latent")


def _instructor() -> dict:
    """task -> the instructor's function, from the solution cells of both assignments' source notebooks."""
    functions = {}
    for assignment, tasks in ASSIGNMENTS.items():
        namespace = {"torch": torch}
        nb = nbformat.read(ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        for source in solution_cells(nb).values():
            exec(source, namespace)
        functions.update({task: namespace[task] for task in tasks})
    return functions


INSTRUCTOR = _instructor()


def _lost(task: str, fn, seed: int) -> tuple[int, str]:
    """(points `fn` loses at `seed`, sanity and hidden checks together, as nbgrader counts them; the first message
    of a check that cost any)."""
    spec = ASSIGNMENTS[assignment_of(task)][task]
    lost, why = 0, ""
    for level, points in (("sanity", spec.points_sanity), ("full", spec.points_hidden)):
        result = run_plan(engine.plan(spec, level, seed), fn)
        cost = points if not result.passed else result.points_lost
        lost += cost
        why = why or (result.message if cost else "")
    return lost, why


@pytest.mark.parametrize("seed", SEEDS)
def test_the_instructors_solutions_get_full_marks(seed):
    """Do the instructor's solutions of both assignments get every point at this seed, sanity and hidden?"""
    for task, fn in INSTRUCTOR.items():
        lost, why = _lost(task, fn, seed)
        assert lost == 0, f"seed {seed}: {why}"


@pytest.mark.parametrize("seed", VARIANT_SEEDS)
def test_every_correct_variant_gets_full_marks(seed):
    """Does every correct variant of every task, ported public code included, get every point at this seed?"""
    for task, fns in VARIANTS.items():
        for fn in fns:
            lost, why = _lost(task, fn, seed)
            assert lost == 0, f"seed {seed}, {fn.__name__}: {why}"


@pytest.mark.parametrize("seed", VARIANT_SEEDS)
def test_float32_coefficients_lose_the_slip_and_no_more(seed):
    """Do float32 coefficients on float64 inputs cost exactly one hidden point, named, wherever float32's rounding
    shows past float64's tolerance (the samplers, the KL, the DDIM step), and never more?"""
    for task, fns in PRECISION_SLIPS.items():
        for fn in fns:
            result = run_check(task, fn, seed=seed)
            assert result.passed and result.points_lost <= engine.SLIP_COST, f"seed {seed}: {result.message}"
            named = any("accurate to float32 only for float64 inputs" in n for n in result.notes)
            assert named == (result.points_lost == engine.SLIP_COST), result.message
            if task in ALWAYS_SLIPS:
                assert result.points_lost == engine.SLIP_COST == 1, f"seed {seed}: {result.message}"
                assert "compute in the inputs' dtype" in result.message
            if task == "ddim_step" and seed == 36:
                assert "NaN where float32 cannot give the answer" in result.message


def _loop_refusing_T1(model, x_T, betas, noises):
    """Algorithm 2 behind a guard that is one too strict: it refuses T = 1."""
    if len(betas) < 2:
        raise ValueError("need at least two steps")
    return INSTRUCTOR["sample_loop"](model, x_T, betas, noises)


def _loop_skipping_T1(model, x_T, betas, noises):
    """Algorithm 2, but with one step it returns x_T untouched ("nothing to denoise")."""
    return x_T.clone() if len(betas) == 1 else INSTRUCTOR["sample_loop"](model, x_T, betas, noises)


def _ddim_refusing_one_step(model, x_T, alpha_bar, steps, eta, noises):
    """DDIM that refuses steps = 1 (its stride (T − 1)/(steps − 1) would divide by zero)."""
    if steps < 2:
        raise ZeroDivisionError("division by zero")
    return INSTRUCTOR["ddim_sample"](model, x_T, alpha_bar, steps, eta, noises)


def _latent_refusing_one_step(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    z0_hat = _ddim_refusing_one_step(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape, dtype=z_T.dtype))
    return decoder(z_std * z0_hat + z_mean)


@pytest.mark.parametrize("seed", [9, 36, PUBLIC_SEED])
@pytest.mark.parametrize("task, fn, case", [
    ("sample_loop", _loop_refusing_T1, "T = 1"),
    ("sample_loop", _loop_skipping_T1, "T = 1"),
    ("ddim_sample", _ddim_refusing_one_step, "steps = 1"),
    ("sample_latent", _latent_refusing_one_step, "steps = 1"),
], ids=["T1-raises", "T1-wrong", "ddim-steps1", "latent-steps1"])
def test_a_failure_only_at_the_degenerate_case_costs_its_stated_points(seed, task, fn, case):
    """Does a sampler broken only at T = 1 (or steps = 1) pass with DEGENERATE_COST points off at every seed, its
    message naming the case, not a shifted timestep?"""
    result = run_check(task, fn, seed=seed)
    assert result.passed and result.points_lost == engine.DEGENERATE_COST == 2, result.message
    assert result.message.startswith(f"{task}: fails only at the degenerate case {case} (")
    assert result.diagnosis is None and "shifted" not in result.message
    assert result.cases_failed == 1 and case in result.failing_case
    assert run_check(task, fn, "sanity", seed=seed).passed  # the visible check holds no degenerate case


@pytest.mark.parametrize("seed", [25, PUBLIC_SEED])
def test_a_degenerate_failure_excuses_nothing_else(seed):
    """Does a sampler wrong everywhere and broken at T = 1 still fail outright, diagnosed from the other cases?"""
    def noisy_last_step_refusing_T1(model, x_T, betas, noises):
        if len(betas) < 2:
            raise ValueError("need at least two steps")
        return core.loop_eq11(model, x_T, betas, noises) + betas[0].sqrt() * noises[0]  # noise at t = 0 too

    result = run_check("sample_loop", noisy_last_step_refusing_T1, seed=seed)
    assert not result.passed and result.status == "wrong", result.message
    assert result.diagnosis == "noise_at_last_step" and result.points_lost == 0


@pytest.mark.parametrize("seed", SEEDS[::4])
@pytest.mark.parametrize("task, fn", [
    ("q_sample", lambda x0, t, noise, alpha_bar: core.q_vectorised(x0, t, noise, alpha_bar) * (1 + 1e-3)),
    ("kl_term", lambda *args: beyond.kl_float64_inside(*args) * (1 + 1e-3)),
    ("ddim_step", lambda model, x_t, t, t_prev, alpha_bar, eta, noise:
        beyond.step_where(model, x_t, t, t_prev, alpha_bar, 0.999 * eta, noise)),
], ids=["q_sample-1e-3", "kl_term-1e-3", "ddim_step-eta"])
def test_a_wrong_formula_is_no_precision_slip(seed, task, fn):
    """Does a formula off by one part in a thousand, inside float32's tolerance but far outside float32's
    rounding, fail at every seed instead of passing as a precision slip?"""
    result = run_check(task, fn, seed=seed)
    assert not result.passed and result.status == "wrong", result.message
    assert not any("float32 only" in n for n in result.notes)


@pytest.mark.parametrize("fn", [f for fns in PRECISION_SLIPS.values() for f in fns], ids=lambda f: f.__name__)
def test_float32_coefficients_cost_at_most_the_slip_at_the_public_seed(fn):
    """Do the published ports, float32 coefficients on float64 inputs, pass the public-seed check with at most one
    point off, naming the cause exactly where they lose it (where float32's rounding shows past float64's
    tolerance)?"""
    task = next(task for task, fns in PRECISION_SLIPS.items() if fn in fns)
    result = run_check(task, fn)
    assert result.passed and result.points_lost <= engine.SLIP_COST, result.message
    named = any("accurate to float32 only for float64 inputs" in n for n in result.notes)
    assert named == (result.points_lost == engine.SLIP_COST), result.message
