"""The checks behind the notebook's test cells and the TA comparison tool: one function per task.

    check_q_sample(fn, level="full") -> CheckResult   # and check_posterior_mean, check_eps_loss, check_sample_loop

A check runs the student's `fn` on seeded cases (graders/cases.py), each call guarded (graders/sandbox.py),
compares with the reference on the very same inputs, and returns a CheckResult: plain data, which the TA tool
reads and a notebook cell raises. A failure message says what was checked, the smallest failing case, the
measured difference and, where a known wrong formula (graders/diagnoses.py) reproduces the output, the mistake.

`TASKS` maps each task name to its signature, points and check; `run_checks({name: fn})` runs them all.
"""
from __future__ import annotations

import contextlib
import io
import math
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping

import torch

import reference
from reference import GaussianOptimalEps, Schedule

from . import sandbox
from .cases import Case, cases_for, tolerance
from .diagnoses import DIAGNOSES, WRONG

LEVELS = ("sanity", "full")
CALL_TIME_LIMIT_S = 5.0  # per call of the student's function
CHECK_TIME_LIMIT_S = 20.0  # per check, safely under the notebook's 30 s cell timeout


class CheckFailed(AssertionError):
    """Raised by CheckResult.raise_if_failed; its message is the whole explanation."""


@dataclass
class CheckResult:
    """The outcome of one check, as plain data (see to_dict).

    status: "passed", "wrong" (ran, wrong numbers), "error" (raised), "timeout", "memory", "exit",
    "bad_output" (not a tensor, or wrong shape, dtype or device, or NaN), "integrity", "missing".
    """

    task: str
    level: str
    passed: bool
    status: str
    message: str
    max_abs_error: float = math.nan
    max_rel_error: float = math.nan
    tolerance: float = math.nan
    diagnosis: str | None = None  # a key of graders.diagnoses.DIAGNOSES
    failing_case: str | None = None
    cases_run: int = 0
    cases_failed: int = 0
    runtime_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    def raise_if_failed(self) -> None:
        """Raise CheckFailed with the message unless the check passed; print the one-line summary if it did."""
        __tracebackhide__ = True  # IPython and pytest leave this frame out of the traceback students see
        if not self.passed:
            raise CheckFailed(self.message)
        print(self.message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- models the checks hand to students ------------------------------------------------------------------------

class SpyModel:
    """An ε-predictor `model(x_t, t)` that records the timesteps it is called with.

    t may be a (B,) integer tensor, a 0-d one or an int; it is clamped into [0, T−1] before use, so a
    t + 1 mistake still runs and shows in `calls`.
    """

    def __init__(self, eps_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], T: int):
        self.eps_fn, self.T = eps_fn, T
        self.calls: list[tuple[int, ...]] = []  # the t values of each call

    def __call__(self, x_t: torch.Tensor, t) -> torch.Tensor:
        if isinstance(t, torch.Tensor):
            if t.is_floating_point() or t.is_complex():
                raise TypeError(f"model(x_t, t) takes t as a (B,) long tensor; got dtype {t.dtype}")
            t = t.reshape(-1).to(torch.long)
        elif isinstance(t, int):
            t = torch.tensor([t])
        else:
            raise TypeError(f"model(x_t, t) takes t as a (B,) long tensor; got {type(t).__name__}")
        if t.numel() == 1:
            t = t.expand(x_t.shape[0])
        if t.numel() != x_t.shape[0]:
            raise ValueError(f"model(x_t, t): t holds {t.numel()} timesteps for a batch of {x_t.shape[0]}")
        self.calls.append(tuple(t.tolist()))
        return self.eps_fn(x_t, t.clamp(0, self.T - 1))


def _toy_eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A fixed stand-in for a trained network, smooth in x_t and clearly different at neighbouring t."""
    phase = torch.sin(0.7 * (t + 1).to(x_t.dtype)).reshape(-1, *([1] * (x_t.dim() - 1)))  # (B, 1, …)
    return 0.5 * torch.tanh(x_t) + 0.3 * phase


_ALLOWED_CODE = (SpyModel.__call__.__code__, _toy_eps.__code__)


# ---- the engine every check shares ------------------------------------------------------------------------------

@dataclass
class _Task:
    """What a check needs to know about one task (built per check call)."""

    name: str
    equation: str  # "eq. 4: x_t = …", the label before the colon
    cases: list[Case]
    student_args: Callable[[Case], tuple]  # fresh inputs, in the case's dtype
    truth: Callable[[Case, tuple], torch.Tensor]  # float64, from the reference, on those inputs
    wrong_args: Callable[[Case, tuple], tuple]  # float64 inputs for the diagnoses' wrong formulas
    output_shape: Callable[[Case], tuple[int, ...]]
    spy: Callable[[Case, tuple], tuple[str, str | None] | None] = lambda case, args: None  # (problem, diagnosis)
    tol_factor: float = 1.0
    with_t: bool = True


@dataclass
class _Outcome:
    case: Case
    out64: torch.Tensor | None = None  # the student's output, float64
    problem: str | None = None  # why this case failed, if it did
    status: str = "passed"
    diagnosis: str | None = None
    abs_err: float = 0.0
    rel_err: float = 0.0
    wrong_t: list[int] = field(default_factory=list)


def _describe_cases(cases: list[Case], with_t: bool) -> str:
    kinds = sorted({"2-D points" if len(c.shape) == 2 else "(B, 1, 8, 8) images" for c in cases})
    scheds = sorted({c.schedule_name for c in cases})
    Ts = sorted({c.T for c in cases})
    dtypes = sorted({str(c.dtype).replace("torch.", "") for c in cases})
    text = (f"{len(cases)} seeded batch{'es' if len(cases) > 1 else ''} ({' and '.join(kinds)}; "
            f"{' and '.join(scheds)} schedules; T = {', '.join(map(str, Ts))}; {' and '.join(dtypes)}")
    return text + ("; every batch mixes t = 0, T−1 and middle steps)" if with_t else ")")


def _student_line(error: BaseException) -> str:
    """The last line of the student's own code in the traceback, as 'line N in f: source'."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(sandbox.PROTECTED_DIRS) and "site-packages" not in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    return f" (line {f.lineno} in {f.name}: {f.line.strip()})" if f.line else f" (in {f.name})"


def _hint_for_exception(error: BaseException) -> str | None:
    text = str(error)
    if "must match the size of tensor" in text:
        return "broadcast"
    if isinstance(error, IndexError) and "out of bounds" in text:
        return "t_off_by_one"
    return None


def _validate(task: _Task, case: Case, out: Any, args: tuple) -> tuple[str, str] | None:
    """(status, problem) if `out` is not a finite tensor of the right shape, dtype and device."""
    name = task.name
    if not isinstance(out, torch.Tensor):
        kind = type(out).__name__
        hint = " — convert it back with torch.from_numpy" if kind == "ndarray" else (
            " — did you call .item()?" if kind == "float" else "")
        return "bad_output", f"{name} must return a torch.Tensor; it returned {kind}{hint}"
    want_shape = task.output_shape(case)
    if tuple(out.shape) != want_shape:
        extra = ""
        if name == "eps_loss" and tuple(out.shape) == (case.shape[0],):
            extra = " — those are per-example losses; average them to one number"
        return "bad_output", f"{name} returned shape {tuple(out.shape)}; expected {want_shape}{extra}"
    if out.dtype != case.dtype:
        return "bad_output", (f"{name} returned dtype {out.dtype} for {case.dtype} inputs; cast the schedule's "
                              f"coefficients to x's dtype (e.g. alpha_bar[t].to(x0.dtype)) so the result keeps it")
    if out.device != torch.device("cpu"):
        return "bad_output", f"{name} returned a tensor on {out.device}; the inputs were on cpu"
    finite = torch.isfinite(out.detach())
    if not bool(finite.all()):
        bad = (~finite).flatten(1).any(1) if out.dim() > 0 else ~finite.reshape(1)
        where = ""
        if task.with_t and out.dim() > 0:
            where = f" at t = {[case.t[i] for i in range(len(case.t)) if bool(bad[i])]}"
        return "bad_output", f"{name} returned NaN or inf{where}"
    return None


def _compare(task: _Task, o: _Outcome, truth: torch.Tensor) -> None:
    tol = tolerance(o.case.dtype, task.tol_factor)
    err = (o.out64 - truth).abs()
    scaled = err / (1 + truth.abs())
    o.abs_err = float(err.max()) if err.numel() else 0.0
    o.rel_err = o.abs_err / max(float(truth.abs().max()), 1e-30) if truth.numel() else 0.0
    if float(scaled.max()) > tol:
        o.status = "wrong"
        if task.with_t and scaled.dim() > 0:
            per_example = scaled.flatten(1).amax(1)  # (B,)
            o.wrong_t = [o.case.t[i] for i in range(len(o.case.t)) if float(per_example[i]) > tol]


def _diagnose(task: _Task, outcomes: list[_Outcome], args_of: dict[int, tuple]) -> str | None:
    """The key of the wrong formula that reproduces the student's output on every case it applies to."""
    best, best_err = None, math.inf
    compared = [o for o in outcomes if o.out64 is not None]
    for key, variants in WRONG.get(task.name, {}).items():
        for wrong in variants:
            worst, applies, explains_failure = 0.0, 0, False
            for o in compared:
                try:
                    with torch.no_grad():
                        w = wrong(*task.wrong_args(o.case, args_of[id(o)]))
                except Exception:  # noqa: BLE001 - a wrong formula that cannot run here does not apply
                    w = None
                if w is None or w.shape != o.out64.shape:
                    continue
                applies += 1
                scaled = float(((o.out64 - w).abs() / (1 + w.abs())).max())
                worst = max(worst, scaled / tolerance(o.case.dtype, 3 * task.tol_factor))
                explains_failure |= o.status == "wrong"
                if worst > 1:
                    break
            if applies and explains_failure and worst <= 1 and worst < best_err:
                best, best_err = key, worst
    return best


def _label(task: _Task) -> str:
    return task.equation.split(":")[0]


def _message_for_diagnosis(task: _Task, key: str) -> str:
    d = DIAGNOSES[key]
    return f"Likely mistake: {d.sentence} Fix: {d.fix}. ({task.equation}.)"


def _run(task: _Task, fn: Callable, level: str) -> CheckResult:
    """_run_cases with the check's own warnings and stderr caught too: nbgrader zeroes a cell that writes to stderr."""
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        result = _run_cases(task, fn, level)
    result.notes += [f"grader warned: {w.category.__name__}: {w.message}" for w in caught]
    result.notes += [f"grader wrote to stderr: {line}" for line in stderr.getvalue().splitlines()[:3]]
    return result


def _run_cases(task: _Task, fn: Callable, level: str) -> CheckResult:
    start = time.perf_counter()
    what = f"{task.name}: checked against {_label(task)} on {_describe_cases(task.cases, task.with_t)}."

    def result(passed, status, message, **kw) -> CheckResult:
        return CheckResult(task.name, level, passed, status, message, runtime_s=time.perf_counter() - start, **kw)

    if not callable(fn):
        return result(False, "missing", f"{task.name}: not a function (got {type(fn).__name__}); run its cell first.")
    touched = sandbox.static_touches(fn)
    if touched:
        return result(False, "integrity", _integrity_message(task, touched))

    outcomes: list[_Outcome] = []
    args_of: dict[int, tuple] = {}
    notes: list[str] = []
    for case in task.cases:
        if time.perf_counter() - start > CHECK_TIME_LIMIT_S:
            o = _Outcome(case, status="timeout",
                         problem=f"{task.name} used more than {CHECK_TIME_LIMIT_S:g} s over the first "
                                 f"{len(outcomes)} cases; a correct version takes well under a second")
            outcomes.append(o)
            break
        args = task.student_args(case)
        pristine = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        call = sandbox.call_student(fn, *args, time_limit=CALL_TIME_LIMIT_S, allowed=_ALLOWED_CODE)
        if call.stdout.strip():
            notes.append(f"{task.name} printed {len(call.stdout.splitlines())} line(s); output hidden")
        if call.stderr.strip() or call.warnings:
            notes.append(f"{task.name} warned: {(call.warnings or [call.stderr.strip()])[0][:200]}")
        if call.touched:
            return result(False, "integrity", _integrity_message(task, call.touched), cases_run=len(outcomes) + 1)
        o = _Outcome(case)
        outcomes.append(o)
        if call.kind != "ok":
            o.status = call.kind
            o.problem = _call_problem(task, call)
            o.diagnosis = _hint_for_exception(call.error) if call.kind == "error" else None
            break  # a raise, a timeout, a crash: the next cases would only repeat it
        invalid = _validate(task, case, call.value, args)
        if invalid:
            o.status, o.problem = invalid
            break
        for name, before, after in zip(_arg_names(task), pristine, args):
            if isinstance(before, torch.Tensor) and not torch.equal(before, after):
                o.status, o.problem = "bad_output", f"{task.name} changed its input {name} in place; work on a copy"
        if o.problem:
            break
        o.out64 = call.value.detach().to(torch.float64)
        args_of[id(o)] = args
        _compare(task, o, task.truth(case, pristine))
        spied = task.spy(case, args)
        if spied:
            o.status, (o.problem, o.diagnosis) = "wrong", spied

    failed = [o for o in outcomes if o.status != "passed"]
    compared = [o for o in outcomes if o.out64 is not None]
    max_abs = max((o.abs_err for o in compared), default=math.nan)
    max_rel = max((o.rel_err for o in compared), default=math.nan)
    tol = max((tolerance(c.dtype, task.tol_factor) for c in task.cases), default=math.nan)
    if not failed:
        return result(True, "passed", f"{task.name}: passed all {len(outcomes)} cases "
                                      f"(max |error| {max_abs:.2g}).", max_abs_error=max_abs, max_rel_error=max_rel,
                      tolerance=tol, cases_run=len(outcomes), notes=notes)

    first = failed[0]  # cases run smallest first
    diagnosis = first.diagnosis or (_diagnose(task, outcomes, args_of) if first.status == "wrong" else None)
    lines = [what, f"Smallest failing case: {first.case.describe(task.with_t)}"
             + (f"; wrong at t = {first.wrong_t}." if first.wrong_t and first.problem is None else ".")]
    if first.problem:
        lines.append(first.problem + ("" if first.problem.endswith((".", "?")) else "."))
    if first.status == "wrong" and first.out64 is not None:
        lines.append(f"Measured: max |error| {first.abs_err:.3g} (relative {first.rel_err:.3g}) against a "
                     f"tolerance of {tolerance(first.case.dtype, task.tol_factor):.1g}·(1 + |truth|) for "
                     f"{str(first.case.dtype).replace('torch.', '')}; {len(failed)} of {len(outcomes)} cases failed.")
    if diagnosis:
        lines.append(_message_for_diagnosis(task, diagnosis))
    elif first.status == "wrong":
        lines.append(f"No known mistake matches; compare your code term by term with {task.equation}.")
    lines += notes[:2]
    return result(False, first.status, "\n".join(lines), max_abs_error=max_abs, max_rel_error=max_rel,
                  tolerance=tol, diagnosis=diagnosis, failing_case=first.case.describe(task.with_t),
                  cases_run=len(outcomes), cases_failed=len(failed), notes=notes)


def _arg_names(task: _Task) -> tuple[str, ...]:
    return TASKS[task.name].arg_names


def _call_problem(task: _Task, call: sandbox.Call) -> str:
    name = task.name
    if call.kind == "timeout":
        return (f"{name} did not return within {CALL_TIME_LIMIT_S:g} s: an infinite loop, or a Python loop over "
                f"every element?")
    if call.kind == "memory":
        return f"{name} tried to allocate more than 2 GiB and was stopped: {str(call.error).splitlines()[0][:160]}"
    if call.kind == "exit":
        return f"{name} called sys.exit(), exit() or os._exit(); a function should return its result"
    e = call.error
    first_line = str(e).splitlines()[0][:300] if str(e) else ""
    return f"{name} raised {type(e).__name__}: {first_line}{_student_line(e)}"


def _integrity_message(task: _Task, touched: list[str]) -> str:
    return (f"{task.name}: integrity — your solution uses the lab's own code ({', '.join(touched[:3])}). Solutions "
            f"must compute {_label(task)} themselves, without `reference` or `graders`; this task scores 0.")


# ---- the four tasks --------------------------------------------------------------------------------------------

EQ4 = "eq. 4: x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"
EQ7 = "eq. 7: μ̃_t = √ᾱ_{t-1}·β_t/(1 − ᾱ_t)·x0 + √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t)·x_t"
EQ14 = "eq. 14 (Algorithm 1): L_simple = the mean of (ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t))²"
ALG2 = ("Algorithm 2: x_{t-1} = (x_t − β_t/√(1 − ᾱ_t)·ε_θ(x_t, t))/√α_t + √β_t·z for t = T−1 … 0, "
        "z = noises[t] for t > 0 and z = 0 at t = 0")


def _f64(*xs):
    return tuple(x.to(torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in xs)


def check_q_sample(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(x0, t, noise, alpha_bar) return x_t of eq. 4, for every shape, schedule, dtype and t?"""
    def args(case: Case):
        return case.randn(0), case.t_tensor(), case.randn(1), case.schedule.alpha_bar.clone()

    def truth(case, a):
        x0, t, noise, _ = _f64(*a)
        return reference.q_sample(x0, t, case.schedule, noise)

    def wrong_args(case, a):
        x0, t, noise, _ = _f64(*a)
        return x0, t, noise, case.schedule

    task = _Task("q_sample", EQ4, cases_for(level), args, truth, wrong_args, lambda c: c.shape)
    return _run(task, fn, level)


def check_posterior_mean(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(x0, x_t, t, betas) return μ̃_t(x_t, x0) of eq. 7, t = 0 included?"""
    def args(case: Case):
        s, t = case.schedule, case.t_tensor()
        x0 = case.randn(0)
        x_t = reference.q_sample(x0.double(), t, s, case.randn(1).double()).to(case.dtype)
        return x0, x_t, t, s.betas.clone()

    def truth(case, a):
        x0, x_t, t, _ = _f64(*a)
        return reference.q_posterior_mean_variance(x0, x_t, t, case.schedule)[0]

    def wrong_args(case, a):
        x0, x_t, t, _ = _f64(*a)
        return x0, x_t, t, case.schedule

    task = _Task("posterior_mean", EQ7, cases_for(level), args, truth, wrong_args, lambda c: c.shape, tol_factor=1.0)
    return _run(task, fn, level)


def check_eps_loss(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x0, t, noise, alpha_bar) return the scalar L_simple, calling the model with code's t?"""
    def args(case: Case):
        spy = SpyModel(_toy_eps, case.T)
        return spy, case.randn(0), case.t_tensor(), case.randn(1), case.schedule.alpha_bar.clone()

    def truth(case, a):
        _, x0, t, noise, _ = _f64(*a)
        return reference.eps_loss(_toy_eps, x0, t, case.schedule, noise).mean()

    def wrong_args(case, a):
        _, x0, t, noise, _ = _f64(*a)
        return (lambda x, tt: _toy_eps(x, tt.clamp(0, case.T - 1))), x0, t, noise, case.schedule

    def spy(case, a):
        seen = sorted(t for call in a[0].calls for t in call)
        if seen == sorted(case.t) or not seen:
            return None
        if seen == sorted(t + 1 for t in case.t):
            return f"the model was called with t = {seen}, but the batch's t is {sorted(case.t)}", "model_t_plus_1"
        return None

    task = _Task("eps_loss", EQ14, cases_for(level), args, truth, wrong_args, lambda c: (), spy=spy)
    return _run(task, fn, level)


def _gaussian_eps(schedule: Schedule) -> GaussianOptimalEps:
    """The exact ε-predictor for data N(0.5, 0.5²): sampling with it stays bounded, like a trained model."""
    return GaussianOptimalEps(mu=0.5, std=0.5, schedule=schedule)


def check_sample_loop(fn: Callable, level: str = "full") -> CheckResult:
    """Does fn(model, x_T, betas, noises) run Algorithm 2 (σ_t² = β_t) and call the model at t = T−1 … 0 once each?"""
    def args(case: Case):
        eps = _gaussian_eps(case.schedule)
        spy = SpyModel(eps, case.T)
        x_T = case.randn(0)
        noises = case.randn(1, (case.T, *case.shape))
        return spy, x_T, case.schedule.betas.clone(), noises

    def truth(case, a):
        _, x_T, _, noises = _f64(*a)
        return reference.sample_ddpm(_gaussian_eps(case.schedule), x_T.shape, case.schedule, x_T=x_T, noises=noises)

    def wrong_args(case, a):
        _, x_T, _, noises = _f64(*a)
        eps = _gaussian_eps(case.schedule)
        return (lambda x, t: eps(x, t.clamp(0, case.T - 1))), x_T, case.schedule, noises

    def spy(case, a):
        calls, T = a[0].calls, case.T
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

    cases = cases_for(level, Ts=(10, 50), sanity_Ts=(10, 10))
    if level == "full":
        cases = cases + [Case(4242, (3, 2), "linear", 1, torch.float64, (0, 0, 0))]  # T = 1: one noise-free step
    task = _Task("sample_loop", ALG2, cases, args, truth, wrong_args, lambda c: c.shape, spy=spy, with_t=False)
    return _run(task, fn, level)


# ---- the registry the notebook and the TA tool share --------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """A graded task: the function students write, its points and its check."""

    name: str
    signature: str
    arg_names: tuple[str, ...]
    equation: str
    points_sanity: int
    points_hidden: int
    check: Callable[..., CheckResult]

    @property
    def points(self) -> int:
        return self.points_sanity + self.points_hidden


TASKS: dict[str, Task] = {t.name: t for t in [
    Task("q_sample", "q_sample(x0, t, noise, alpha_bar) -> x_t", ("x0", "t", "noise", "alpha_bar"), EQ4, 1, 4,
         check_q_sample),
    Task("posterior_mean", "posterior_mean(x0, x_t, t, betas) -> mean", ("x0", "x_t", "t", "betas"), EQ7, 1, 4,
         check_posterior_mean),
    Task("eps_loss", "eps_loss(model, x0, t, noise, alpha_bar) -> loss", ("model", "x0", "t", "noise", "alpha_bar"),
         EQ14, 1, 4, check_eps_loss),
    Task("sample_loop", "sample_loop(model, x_T, betas, noises) -> x0", ("model", "x_T", "betas", "noises"), ALG2, 2,
         8, check_sample_loop),
]}


def run_check(task: str, fn: Callable | None, level: str = "full") -> CheckResult:
    """TASKS[task].check(fn, level), with a missing function reported as a failed result, not an exception."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    if fn is None:
        return CheckResult(task, level, False, "missing", f"{task}: not defined; run its cell, and fix any error it shows.")
    return TASKS[task].check(fn, level)


def run_checks(functions: Mapping[str, Callable | None], level: str = "full") -> dict[str, CheckResult]:
    """Every task's result for one submission, e.g. run_checks(vars(student_module)); missing ones fail."""
    return {name: run_check(name, functions.get(name), level) for name in TASKS}
