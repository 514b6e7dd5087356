"""Can a hostile notebook game `nbgrader autograde` on `ddpm_core`, hurt another student, or stop the batch?

The ddpm_core bank of tests/support/hostile.py: a temporary copy of the lab (its graders/ and reference/, and the course as
its assignments/), so that the attacks aim at the very files the grader runs, one `python -m graders.batch.autograde` for
the whole class (nbgrader's own autograde, one student per Dask task, two students at a time, so attacks also run
beside other students' grading), and the TA tool (`python -m graders.compare`) on the same class:
- "honest" (the instructor's solutions: 25/25), "blank" (the untouched release: 0/25), and two honest victims,
  "victim-a" and "victim-b", whom the attackers go after (25 each, their submissions untouched);
- one attacker per ploy of tests/support/hostile.py. An attacker keeps the instructor's solutions but for the task it
  attacks, which it implements not at all (`return x0`, a constant), with the attack at the top level of that
  solution cell and inside the function. So its total must be exactly 25 less that task's points: the attack earns
  nothing and costs only its own task (the whole notebook, for the ploys that kill their own loading).

The checks themselves are tests/support/hostile.py's, imported below; the module is skipped unless bubblewrap works and we
are root.
"""
from __future__ import annotations

import pytest

from course import ASSIGNMENT, TOTAL, run_nbgrader, write_submission
from hostile import *  # noqa: F403 - the fixtures and the checks every bank runs (hostile.__all__)
from hostile import (DETACHED, EXIT, EXIT_TOP, FORGE, FORGE_TOP, HANG, KILL, KILL_TOP, LIAR_TENSOR, LIMITS, LINKS, LOCK,
                     LOOKUP, PATCH_BUILTINS, PATCH_CHECKS, SHADOW, SHADOW_LAUNCHER, STEAL, TAMPER_TESTS, WRITE_OUTSIDE,
                     Bank, Ploy, copy_lab, total)

pytestmark = pytest.mark.slow

CORE = Bank(ASSIGNMENT, wrong={"q_sample": "x0", "posterior_mean": "x_t", "eps_loss": "torch.zeros((), dtype=x0.dtype)",
                               "sample_loop": "x_T.clone()"},
            right={"posterior_mean": "reference.q_posterior_mean_variance(x0, x_t, t, "
                                     "reference.Schedule.from_betas(betas))[0].to(x0.dtype)"})

# The lab's reference/ reached by routes a reading of the graded function does not see: the worker's sandbox answers
# every one with an ImportError naming it (graders/sandbox/runner.py FORBIDDEN); hostile.py's control runs the same code
# unconfined, where it passes.
FORBIDDEN_ROUTES = Ploy("18-forbidden-routes", "q_sample under @torch.no_grad() and a functools.wraps wrapper, "
                        "importing reference/ by importlib and a computed name; posterior_mean through a module-level "
                        "helper that imports it by exec; eps_loss by getattr(builtins, '__import__')", '''import builtins
import functools
import importlib

import torch


def _passed_through(fn):
    """A wrapper that only calls fn: what a reading of the graded function's code sees instead of fn's."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def _reference():
    """The lab's reference/, imported here rather than in the graded functions."""
    found = {}
    exec("import reference", found)
    return found["reference"]


def _schedule(reference, alpha_bar):
    """The reference's schedule with this ᾱ: β_t = 1 − ᾱ_t / ᾱ_{t−1}."""
    return reference.Schedule.from_betas(1 - alpha_bar / torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]]))
''')
FORBIDDEN_ATTACKS = [CORE.attack(FORBIDDEN_ROUTES, '''@torch.no_grad()
@_passed_through
def q_sample(x0, t, noise, alpha_bar):
    reference = importlib.import_module("".join(("refer", "ence")))
    return reference.diffuse(x0, t, noise, _schedule(reference, alpha_bar).alpha_bar).to(x0.dtype)
''', '''def posterior_mean(x0, x_t, t, betas):
    reference = _reference()
    return reference.q_posterior_mean_variance(x0, x_t, t, reference.Schedule.from_betas(betas))[0].to(x0.dtype)
''', '''def eps_loss(model, x0, t, noise, alpha_bar):
    reference = getattr(builtins, "__import__")("".join(("refer", "ence")))
    return reference.weighted_eps_loss(model, x0, t, _schedule(reference, alpha_bar), noise).mean()
''')]
ATTACKS = CORE.attacks(
    q_sample=(SHADOW, STEAL, LOCK, FORGE, FORGE_TOP, TAMPER_TESTS, LOOKUP, SHADOW_LAUNCHER, LINKS),
    posterior_mean=(PATCH_CHECKS, WRITE_OUTSIDE, KILL, KILL_TOP, LIMITS),
    eps_loss=(LIAR_TENSOR, DETACHED, EXIT, EXIT_TOP),
    sample_loop=(PATCH_BUILTINS, HANG)) + FORBIDDEN_ATTACKS


# ---- without bubblewrap ------------------------------------------------------------------------------------------

def test_unisolated_grading_warns_and_still_grades(template, tmp_path_factory):
    """Without bubblewrap, does autograde say loudly that grading is not isolated, and still grade 25/25?"""
    _, release, solutions = template
    lab = copy_lab(template, tmp_path_factory.mktemp("unisolated") / "lab")
    course = lab / "assignments"
    write_submission(course, "honest", release, solutions)
    proc = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course,
                        env={"PYTHONPATH": str(lab), "DDPM_LAB_BWRAP": "/nonexistent"})
    assert "GRADING IS NOT ISOLATED" in proc.stdout + proc.stderr
    assert total(course, "honest") == TOTAL
