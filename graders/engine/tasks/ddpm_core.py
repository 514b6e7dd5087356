"""The four tasks of the `ddpm_core` assignment as specs for the engine: q_sample (eq. 4), posterior_mean (eq. 7),
eps_loss (eq. 14) and sample_loop (Algorithm 2), 25 points in all.

Each spec says which seeded cases to run (graders/engine/cases.py), what the student's function receives, and the
expected answer from `reference/` on exactly those inputs, in float64. The stand-in networks
(graders/engine/stand_ins.py) are the same functions the worker hands the student.
"""
from __future__ import annotations

import torch

import reference

from ..cases import Case, cases_for
from ..judging import TaskSpec, model_arg
from ..stand_ins import toy_eps
from ..upstream import UpstreamLog, close
from .common import GAUSSIAN, batch_t_spy, clamped, f64, gaussian

EQ4 = "eq. 4: x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"
EQ7 = "eq. 7: μ̃_t = √ᾱ_{t-1}·β_t/(1 − ᾱ_t)·x0 + √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t)·x_t"
EQ14 = "eq. 14 (Algorithm 1): L_simple = the mean of (ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t))²"
ALG2 = ("Algorithm 2: x_{t-1} = (x_t − β_t/√(1 − ᾱ_t)·ε_θ(x_t, t))/√α_t + √β_t·z for t = T−1 … 0, "
        "z = noises[t] for t > 0 and z = 0 at t = 0")


# ---- q_sample ---------------------------------------------------------------------------------------------------

def _q_inputs(case: Case):
    return case.randn(0), case.t_tensor(), case.randn(1), case.schedule.alpha_bar.clone()


def _q_truth(case: Case, a):
    x0, t, eps, _ = f64(*a)
    return reference.diffuse(x0, t, eps, case.schedule.alpha_bar)


def _q_wrong_args(case: Case, a):
    x0, t, eps, _ = f64(*a)
    return x0, t, eps, case.schedule


# ---- posterior_mean ---------------------------------------------------------------------------------------------

def _pm_inputs(case: Case):
    s, t = case.schedule, case.t_tensor()
    x0 = case.randn(0)
    x_t = reference.diffuse(x0.double(), t, case.randn(1).double(), s.alpha_bar).to(case.dtype)
    return x0, x_t, t, s.betas.clone()


def _pm_truth(case: Case, a):
    x0, x_t, t, _ = f64(*a)
    return reference.q_posterior_mean_variance(x0, x_t, t, case.schedule)[0]


def _pm_wrong_args(case: Case, a):
    x0, x_t, t, _ = f64(*a)
    return x0, x_t, t, case.schedule


# ---- eps_loss ---------------------------------------------------------------------------------------------------

def _loss_inputs(case: Case):
    return (model_arg(kind="toy", T=case.T), case.randn(0), case.t_tensor(), case.randn(1),
            case.schedule.alpha_bar.clone())


def _loss_truth(case: Case, a):
    _, x0, t, eps, _ = f64(*a)
    return reference.weighted_eps_loss(toy_eps, x0, t, case.schedule, eps).mean()


def _loss_wrong_args(case: Case, a):
    _, x0, t, eps, _ = f64(*a)
    return clamped(toy_eps, case.T), x0, t, eps, case.schedule


def _loss_blame(case: Case, inputs: tuple, log: UpstreamLog, output: torch.Tensor) -> str | None:
    """Is eps_loss right given the student's own q_sample? It called q_sample once, on its own x0, t, noise and ᾱ;
    q_sample's x_t was wrong (eq. 4); and the loss is eq. 14's mean of (ε − ε_θ(x_t, t))² on that very x_t."""
    _, x0, t, noise, alpha_bar = f64(*inputs)
    calls = [c for c in log.calls if c.function == "q_sample"]
    if len(calls) != 1:
        return None
    c, dtype = calls[0], case.dtype
    given = [("x0", x0), ("t", t), ("noise", noise), ("alpha_bar", alpha_bar)]
    if not all(close(c.arg(name, i), value, dtype) for i, (name, value) in enumerate(given)):
        return None
    x_t = c.output
    if not isinstance(x_t, torch.Tensor) or close(x_t, reference.diffuse(x0, t, noise, case.schedule.alpha_bar), dtype):
        return None
    return "calls_wrong_q_sample" if close(output, ((noise - toy_eps(x_t, t)) ** 2).mean(), dtype) else None


def _loss_shape_hint(case: Case, shape: tuple[int, ...]) -> str:
    return " — those are per-example losses; average them to one number" if shape == (case.shape[0],) else ""


# ---- sample_loop ------------------------------------------------------------------------------------------------

def _loop_cases(level: str, seed: int) -> list[Case]:
    cases = cases_for(level, seed, Ts=(10, 50), sanity_Ts=(10, 10))
    if level == "full":
        cases = cases + [Case(seed + 2222, (3, 2), "linear", 1, torch.float64, (0, 0, 0))]  # T = 1: one noise-free step
    return cases


def _loop_degenerate(case: Case) -> str | None:
    """T = 1, the documented degenerate case of Algorithm 2."""
    return "T = 1 (one step: x_0 straight from x_T, with no noise)" if case.T == 1 else None


def _loop_inputs(case: Case):
    model = model_arg(kind="gaussian", T=case.T, alpha_bar=case.schedule.alpha_bar.tolist(), **GAUSSIAN)
    return model, case.randn(0), case.schedule.betas.clone(), case.randn(1, (case.T, *case.shape))


def _loop_truth(case: Case, a):
    _, x_T, _, noises = f64(*a)
    return reference.sample_ddpm(gaussian(case), x_T.shape, case.schedule, x_T=x_T, noises=noises)


def _loop_wrong_args(case: Case, a):
    _, x_T, _, noises = f64(*a)
    return clamped(gaussian(case), case.T), x_T, case.schedule, noises


def _loop_spy(case: Case, calls: list[list[int]]):
    T = case.T
    per_call = [set(c) for c in calls]
    if any(len(c) != 1 for c in per_call):
        return "the model was called with different t within one batch; use one t per step", None
    seen = [c.pop() for c in per_call]
    expected = list(reversed(range(T)))
    if seen == expected:
        return None
    shown = seen if len(seen) <= 6 else seen[:3] + ["…"] + seen[-2:]
    problem = f"the model was called {len(seen)} times with t = {shown}; expected T = {T} calls, t = {T - 1} … 0"
    if seen == [t + 1 for t in expected]:
        return problem, "model_t_plus_1"
    if seen == list(range(T)):
        return problem, "reverse_order"
    if seen == expected[:-1]:
        return problem, "stops_early"
    if len(seen) > T and sorted(set(seen), reverse=True) == expected:
        return problem, "repeated_model_calls"
    return problem, None


# ---- the assignment ---------------------------------------------------------------------------------------------

TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in [
    TaskSpec("q_sample", "q_sample(x0, t, noise, alpha_bar) -> x_t", ("x0", "t", "noise", "alpha_bar"), EQ4, 1, 4,
             cases_for, _q_inputs, _q_truth, _q_wrong_args, lambda c: c.shape),
    TaskSpec("posterior_mean", "posterior_mean(x0, x_t, t, betas) -> mean", ("x0", "x_t", "t", "betas"), EQ7, 1, 4,
             cases_for, _pm_inputs, _pm_truth, _pm_wrong_args, lambda c: c.shape),
    TaskSpec("eps_loss", "eps_loss(model, x0, t, noise, alpha_bar) -> loss",
             ("model", "x0", "t", "noise", "alpha_bar"), EQ14, 1, 4,
             cases_for, _loss_inputs, _loss_truth, _loss_wrong_args, lambda c: (), spy=batch_t_spy,
             shape_hint=_loss_shape_hint, upstream=("q_sample",), blame=_loss_blame),
    TaskSpec("sample_loop", "sample_loop(model, x_T, betas, noises) -> x0", ("model", "x_T", "betas", "noises"),
             ALG2, 2, 8, _loop_cases, _loop_inputs, _loop_truth, _loop_wrong_args, lambda c: c.shape,
             spy=_loop_spy, degenerate=_loop_degenerate, with_t=False),
]}
