"""The checks behind the notebook's visible test cells, run in the student's own kernel for their own feedback:

    check_q_sample(q_sample, level="sanity").raise_if_failed()

Each runs the engine (graders/engine/judging.py) on the task's seeded cases, calling the student's function in this
process through the worker's `call` (graders/sandbox/worker.py), exactly as the confined worker does at grading time.
Nothing here decides a grade: `nbgrader autograde` records what graders/nbgrader/grade.py gets from a confined
worker, whatever this kernel printed.
"""
from __future__ import annotations

import contextlib
import io
import time
import warnings
from typing import Callable, Mapping

from ..engine import judging
from ..engine.cases import PUBLIC_SEED
from ..engine.judging import LEVELS, TaskSpec
from ..engine.results import CheckFailed, CheckResult
from ..engine.tasks import assignment_of, tasks_of
from ..sandbox import worker

__all__ = ["CheckFailed", "CheckResult", "LEVELS", "check_ddim_sample", "check_ddim_step", "check_eps_loss",
           "check_kl_term", "check_posterior_mean", "check_q_sample", "check_sample_latent", "check_sample_loop",
           "run_check", "run_checks", "run_plan"]


def run_spec(spec: TaskSpec, fn: Callable | None, level: str, seed: int = PUBLIC_SEED) -> CheckResult:
    """Check `fn` against `spec` at `level` in this process, the cases drawn from `seed` (a course's own:
    graders/nbgrader/hidden_seed.py)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    return run_plan(judging.plan(spec, level, seed), fn)


def run_plan(plan: judging.Plan, fn: Callable | None) -> CheckResult:
    """Check `fn` on a planned check in this process; the grader's own warnings go to the notes. One plan serves
    any number of functions (bench/bench_fairness.py grades many on each seed's plans)."""
    start = time.perf_counter()
    replies = []
    for args in plan.wire:
        if time.perf_counter() - start > judging.UNIT_TIME_LIMIT_S:
            break
        replies.append(worker.call(fn, args, judging.CALL_TIME_LIMIT_S, list(plan.spec.upstream)))
        if replies[-1]["kind"] != "ok":
            break  # a raise, a timeout, an exit: the judge reads no further, so the next cases need not run
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        result = judging.judge(plan, replies, runtime_s=time.perf_counter() - start)
    result.notes += [f"grader warned: {w.category.__name__}: {w.message}" for w in caught]
    result.notes += [f"grader wrote to stderr: {line}" for line in stderr.getvalue().splitlines()[:3]]
    return result


def run_check(task: str, fn: Callable | None, level: str = "full", assignment: str | None = None,
              seed: int = PUBLIC_SEED) -> CheckResult:
    """The check of `task` (of `assignment`, found from the task's name if not given) on `fn`, its cases drawn from
    `seed` (the public one unless a course's is given); a missing function is a failed result, not an exception."""
    tasks = tasks_of(assignment or assignment_of(task))
    if task not in tasks:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(tasks)}")
    if fn is None:
        return CheckResult(task, level, False, "missing", f"{task}: not defined; run its cell, and fix any error it shows.")
    return run_spec(tasks[task], fn, level, seed)


def run_checks(functions: Mapping[str, Callable | None], level: str = "full", assignment: str = "ddpm_core",
               seed: int = PUBLIC_SEED) -> dict[str, CheckResult]:
    """Every task's result for one set of functions, e.g. run_checks(vars(module)); missing ones fail."""
    return {name: run_check(name, functions.get(name), level, assignment, seed) for name in tasks_of(assignment)}


def check_q_sample(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(x0, t, noise, alpha_bar) return x_t of eq. 4, for every shape, schedule, dtype and t?"""
    return run_check("q_sample", fn, level)


def check_posterior_mean(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(x0, x_t, t, betas) return μ̃_t(x_t, x0) of eq. 7, t = 0 included?"""
    return run_check("posterior_mean", fn, level)


def check_eps_loss(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x0, t, noise, alpha_bar) return the scalar L_simple, calling the model with code's t?"""
    return run_check("eps_loss", fn, level)


def check_sample_loop(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x_T, betas, noises) run Algorithm 2 (σ_t² = β_t), calling the model at t = T−1 … 0 once each?"""
    return run_check("sample_loop", fn, level)


def check_kl_term(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x0, x_t, t, betas) return eq. 5's L_{t-1} per example, in nats, with σ_t² = β_t, for t ≥ 1?"""
    return run_check("kl_term", fn, level)


def check_ddim_step(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x_t, t, t_prev, alpha_bar, eta, noise) take Song et al.'s eq. 12 step, t_prev = −1 included?"""
    return run_check("ddim_step", fn, level)


def check_ddim_sample(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x_T, alpha_bar, steps, eta, noises) run DDIM over the trailing timesteps, from the top down?"""
    return run_check("ddim_sample", fn, level)


def check_sample_latent(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, decoder, z_T, alpha_bar, steps, z_mean, z_std) sample by DDIM (η = 0), un-standardise, decode?"""
    return run_check("sample_latent", fn, level)
