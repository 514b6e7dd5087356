"""The grading engine: seeded cases in, the student's outputs back as plain data, judged here.

    plan(spec, level) -> Plan            # the cases, their inputs, and those inputs as plain data for the worker
    judge(plan, replies, stopped) -> CheckResult

The engine knows no task by name: a task is a TaskSpec (graders/engine/tasks/<assignment>.py) giving its cases, the
inputs of each, the expected answer from `reference/`, the known wrong formulas' inputs and its output shape. The
student's function runs elsewhere (graders/sandbox/worker.py, confined by graders/sandbox/runner.py, or in the student's
own kernel for the notebook's sanity cells); what comes back is only data, which `judge` reads as untrusted: it rebuilds
ordinary float64 tensors from the numbers and compares them here with answers computed here.

A failure message says what was checked, the smallest failing case, the measured difference and, where exactly one known
wrong formula (graders/engine/diagnoses/) reproduces the output, the mistake; where the task's own code is right given
the wrong outputs of the student's own earlier function it calls (TaskSpec.blame), that function to fix first.

Contract slips: numbers that are right but come back in another float dtype (float64 for float32 inputs, the
usual result of indexing a float64 schedule), as a NumPy array or a Python number, or with an input changed in
place, pass with SLIP_COST (1) point off the task and a note saying what to fix. So do numbers right to float32
only for float64 inputs (float32 coefficient buffers, `.float()`, `torch.full` without a dtype): off by more than
float64's tolerance on a float64 case but within float32_accuracy, a tenth of float32's tolerance, with every
float32 case passed. A task loses SLIP_COST at most for all its slips together. Wrong shapes, integer or complex
outputs, NaN and values off the GPU cannot be compared and fail.

Degenerate cases: a task may name documented edge cases (TaskSpec.degenerate: sample_loop's T = 1, the DDIM loops'
steps = 1), which run after all the others. A check that fails only there, whatever the failure (a raise, NaN,
wrong numbers), passes with DEGENERATE_COST (2) points off the hidden check, its message naming the case and what
went wrong there; a failure anywhere else fails the task as usual.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import torch

from .cases import PUBLIC_SEED, Case, tolerance
from .diagnoses import DIAGNOSES, WRONG
from .results import CheckResult
from .upstream import UpstreamLog, read_log
from .wire import FLOAT_DTYPES, decode_tensor, encode_tensor

SLIP_COST = 1  # points a task loses, at most, for right numbers delivered against the contract
DEGENERATE_COST = 2  # points a task loses for failing only its documented degenerate cases
DISTINCT_FIT = 0.01  # a second known mistake this close to the output (in 3 tolerances) leaves the story untold
CALL_TIME_LIMIT_S = 5.0  # per call of the student's function
UNIT_TIME_LIMIT_S = 20.0  # per check (all cases of one task at one level)
LEVELS = ("sanity", "full")  # the notebook's visible cells, and the hidden tests
KINDS = ("ok", "error", "timeout", "memory", "exit", "missing", "integrity")


def model_arg(**spec) -> dict:
    """An input that is a stand-in network (graders/engine/stand_ins.py), built and spied on in the worker."""
    return {"model": spec}


@dataclass(frozen=True)
class TaskSpec:
    """One graded task: what the student writes, its points, its cases and how to judge an output.

    inputs(case) -> the call's arguments: tensors in the case's dtype, Python numbers, or model_arg(...) for a
        stand-in network or decoder.
    truth(case, inputs) -> the expected output in float64, from `reference/`.
    wrong_args(case, inputs) -> the float64 arguments of the task's wrong formulas in graders/diagnoses.py.
    spy(case, model_calls) -> (problem, diagnosis key or None) if the model-call log alone shows a mistake.
    shape_hint(case, shape) -> extra words for a wrong output shape.
    nan_spy(case, inputs, bad) -> the diagnosis key, if the examples `bad` (indices) that came back NaN or inf
        show a known mistake.
    degenerate(case) -> the words naming a documented degenerate case ("T = 1 (one step: …)"), None for the others.
    float32_fragile(case, inputs) -> the examples (indices) of a case whose answer float32 arithmetic cannot give
        (a root of a difference smaller than float32's rounding): a float64 case's output may be NaN or anything
        there and still count as right to float32.
    upstream: the student's own functions of earlier tasks that this task's code may call; the worker records
        their calls (graders/engine/upstream.py).
    blame(case, inputs, log, output) -> the diagnosis key naming the upstream function to fix first, if the log
        shows that function wrong and this task's output exactly what its own formula gives on that function's
        outputs.
    """

    name: str
    signature: str
    arg_names: tuple[str, ...]
    equation: str  # "eq. 4: x_t = …", the label before the colon
    points_sanity: int
    points_hidden: int
    cases: Callable[[str, int], list[Case]]  # (level, hidden seed) -> the seeded cases
    inputs: Callable[[Case], tuple]
    truth: Callable[[Case, tuple], torch.Tensor]
    wrong_args: Callable[[Case, tuple], tuple]
    output_shape: Callable[[Case], tuple[int, ...]]
    spy: Callable[[Case, list], tuple[str, str | None] | None] = lambda case, calls: None
    shape_hint: Callable[[Case, tuple[int, ...]], str] = lambda case, shape: ""
    nan_spy: Callable[[Case, tuple, list[int]], str | None] = lambda case, inputs, bad: None
    degenerate: Callable[[Case], str | None] = lambda case: None
    float32_fragile: Callable[[Case, tuple], list[int]] = lambda case, inputs: []
    tol_factor: float = 1.0
    with_t: bool = True
    upstream: tuple[str, ...] = ()
    blame: Callable[[Case, tuple, UpstreamLog, torch.Tensor], str | None] = lambda case, inputs, log, output: None

    @property
    def points(self) -> int:
        return self.points_sanity + self.points_hidden

    @property
    def label(self) -> str:
        return self.equation.split(":")[0]


@dataclass
class Plan:
    """A check about to run: the spec, the level, each case with its inputs, and those inputs as plain data."""

    spec: TaskSpec
    level: str
    cases: list[Case]
    inputs: list[tuple]
    wire: list[list[dict]]  # per case, per argument: {"tensor": …}, {"number": …} or {"model": …}
    truths: dict[int, torch.Tensor] = field(default_factory=dict, repr=False)  # case index -> expected answer

    def truth(self, i: int) -> torch.Tensor:
        """The expected answer of case i, float64, computed once however many submissions this plan grades."""
        if i not in self.truths:
            self.truths[i] = self.spec.truth(self.cases[i], self.inputs[i])
        return self.truths[i]

    def unit(self) -> dict:
        """This check as one unit of a worker job (graders/sandbox/worker.py)."""
        return {"task": self.spec.name, "level": self.level, "function": self.spec.name, "calls": self.wire,
                "call_time_limit": CALL_TIME_LIMIT_S, "unit_time_limit": UNIT_TIME_LIMIT_S,
                "upstream": list(self.spec.upstream)}


def _wire(arg) -> dict:
    """One input as plain data: a stand-in's spec as it is, a Python number, or an encoded tensor."""
    if isinstance(arg, dict):
        return arg
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return {"number": arg}
    return {"tensor": encode_tensor(arg)}


def plan(spec: TaskSpec, level: str, seed: int = PUBLIC_SEED) -> Plan:
    """The check of `spec` at `level`; the hidden ("full") cases are drawn from `seed`, the course's own
    (graders/nbgrader/hidden_seed.py).

    Degenerate cases run last, so a function that fails there has been judged on every other case first.
    """
    cases = sorted(spec.cases(level, seed), key=lambda c: spec.degenerate(c) is not None)
    inputs = [spec.inputs(case) for case in cases]
    wire = [[_wire(a) for a in args] for args in inputs]
    return Plan(spec, level, cases, inputs, wire)


# ---- reading one reply ----------------------------------------------------------------------------------------

@dataclass
class _Outcome:
    case: Case
    inputs: tuple
    out64: torch.Tensor | None = None  # the student's output, float64
    problem: str | None = None  # why this case failed, if it did
    status: str = "passed"
    diagnosis: str | None = None
    abs_err: float = 0.0
    rel_err: float = 0.0
    wrong_t: list[int] = field(default_factory=list)
    slips: list[str] = field(default_factory=list)
    values: torch.Tensor | None = None  # the student's output as sent, float64, NaN and all
    float32_only: bool = False  # a float64 case off by more than float64's tolerance, right to float32
    not_implemented: bool = False  # raised NotImplementedError: the release's stub, if it is the first case
    printed: int = 0
    warned: str | None = None
    upstream: UpstreamLog | None = None  # the calls it made to the student's upstream functions


class Garbled(ValueError):
    """A reply that is not of the form the worker sends: the process that sent it is not trusted further."""


def _text(value: Any, limit: int = 300) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Garbled("expected text")
    return value[:limit]


def _hint_for_exception(error_type: str, message: str) -> str | None:
    if "must match the size of tensor" in message:
        return "broadcast"
    if error_type == "IndexError" and "out of bounds" in message:
        return "t_off_by_one"
    return None


def _error(reply: dict) -> dict:
    error = reply.get("error") or {}
    if not isinstance(error, dict):
        raise Garbled("bad error description")
    return error


def _call_problem(name: str, reply: dict) -> str:
    kind = reply["kind"]
    if kind == "timeout":
        return (f"{name} did not return within {CALL_TIME_LIMIT_S:g} s: an infinite loop, or a Python loop over "
                f"every element?")
    if kind == "memory":
        return f"{name} tried to allocate more memory than a check allows and was stopped"
    if kind == "exit":
        return f"{name} called sys.exit(), exit() or os._exit(); a function should return its result"
    error = _error(reply)
    return (f"{name} raised {_text(error.get('type'), 100) or 'an error'}: {_text(error.get('message'))}"
            f"{_text(error.get('where'))}")


def _output(spec: TaskSpec, o: _Outcome, output: Any) -> None:
    """Rebuild the student's output as a float64 tensor in o.out64, or say in o.problem why it cannot be judged."""
    name, case = spec.name, o.case
    if not isinstance(output, dict) or len(output) != 1:
        raise Garbled("bad output")
    (kind, payload), = output.items()
    if kind == "number":
        if not isinstance(payload, (int, float)) or isinstance(payload, bool):
            raise Garbled("bad number")
        if spec.output_shape(case) != ():
            o.status, o.problem = "bad_output", f"{name} returned a Python number; expected a tensor"
            return
        try:
            value = float(payload)
        except OverflowError:  # an int beyond float64's range
            raise Garbled("bad number") from None
        if not math.isfinite(value):  # NaN would slip through the comparison (NaN > tol is False)
            o.status, o.problem = "bad_output", f"{name} returned NaN or inf"
            return
        o.out64 = torch.tensor(value, dtype=torch.float64)
        o.slips.append(f"{name} returned a Python number, not a 0-d tensor: drop the .item()")
        return
    if kind == "other":
        o.status, o.problem = "bad_output", f"{name} must return a torch.Tensor; it returned {_text(payload, 100)}"
        return
    if kind not in ("tensor", "ndarray"):
        raise Garbled("unknown output kind")
    try:
        values, dtype, device, shape = decode_tensor(payload)
    except ValueError as e:
        raise Garbled(str(e)) from None
    want = spec.output_shape(case)
    if tuple(shape) != want:
        o.status, o.problem = "bad_output", (f"{name} returned shape {tuple(shape)}; expected {want}"
                                             f"{spec.shape_hint(case, tuple(shape))}")
        return
    if device != "cpu":
        o.status, o.problem = "bad_output", f"{name} returned a tensor on {device}; the inputs were on cpu"
        return
    if dtype not in FLOAT_DTYPES or values is None:
        o.status, o.problem = "bad_output", f"{name} returned a {dtype} result; expected {_dtype(case.dtype)}"
        return
    if kind == "ndarray":
        o.slips.append(f"{name} returned a NumPy array; convert it back with torch.from_numpy")
    elif dtype != _dtype(case.dtype):
        o.slips.append(f"{name} returned {dtype} for {_dtype(case.dtype)} inputs; cast the schedule's coefficients "
                       f"to x's dtype (e.g. alpha_bar[t].to(x0.dtype)) so the result keeps it")
    o.values = values
    finite = torch.isfinite(values)
    if not bool(finite.all()):
        bad = (~finite).reshape(values.shape[0], -1).any(1) if values.dim() > 0 else ~finite.reshape(1)
        where = ""
        if spec.with_t and values.dim() > 0:
            where = f" at t = {[case.t[i] for i in range(len(case.t)) if bool(bad[i])]}"
        o.status, o.problem = "bad_output", f"{name} returned NaN or inf{where}"
        o.diagnosis = spec.nan_spy(case, o.inputs, [i for i in range(len(bad)) if bool(bad[i])])
        return
    o.out64 = values


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def float32_accuracy(spec: TaskSpec) -> float:
    """The |error| / (1 + |truth|) of a result right to float32 only: a tenth of float32's tolerance, 3.5e-4.

    Float32 coefficients on float64 inputs are off by 1e-9 to 5e-5 (every task, 100 seeds), each right float64
    variant by under 2e-10; a formula off by one part in a thousand is off by more than this.
    """
    return tolerance(torch.float32, spec.tol_factor / 10)


def _right_to_float32(spec: TaskSpec, o: _Outcome, truth: torch.Tensor) -> bool:
    """Is a float64 case's output right to float32's accuracy, its float32-fragile examples aside?"""
    if o.case.dtype != torch.float64 or o.values is None:
        return False
    values = o.values
    if values.dim() > 0:
        fragile = set(spec.float32_fragile(o.case, o.inputs))
        keep = torch.tensor([i not in fragile for i in range(values.shape[0])], dtype=torch.bool)
        values, truth = values[keep], truth[keep]
    scaled = (values - truth).abs() / (1 + truth.abs())
    return bool(torch.isfinite(values).all()) and (not scaled.numel() or float(scaled.max()) <= float32_accuracy(spec))


def _compare(spec: TaskSpec, o: _Outcome, truth: torch.Tensor) -> None:
    tol = tolerance(o.case.dtype, spec.tol_factor)
    err = (o.out64 - truth).abs()
    scaled = err / (1 + truth.abs())
    o.abs_err = float(err.max()) if err.numel() else 0.0
    o.rel_err = o.abs_err / max(float(truth.abs().max()), 1e-30) if truth.numel() else 0.0
    if float(scaled.max()) > tol:
        o.status = "wrong"
        if spec.with_t and scaled.dim() > 0:
            per_example = scaled.reshape(scaled.shape[0], -1).amax(1)  # (B,)
            o.wrong_t = [o.case.t[i] for i in range(len(o.case.t)) if float(per_example[i]) > tol]


def _model_calls(value: Any) -> list[list[int]] | None:
    if value is None:
        return None
    if not (isinstance(value, list) and all(isinstance(c, list) and all(
            isinstance(t, int) and not isinstance(t, bool) for t in c) for c in value)):
        raise Garbled("bad model-call log")
    return value


@dataclass
class _Short:
    """A reply that decides the whole check at once: the function is missing, or uses code that does the task."""

    kind: str
    reply: dict


def _read(spec: TaskSpec, case: Case, inputs: tuple, reply: Any,
          truth: Callable[[], torch.Tensor]) -> _Outcome | _Short:
    """One reply judged into an outcome (or, for a missing or forbidden function, the whole result's status);
    truth() gives the case's expected answer."""
    if not isinstance(reply, dict) or reply.get("kind") not in KINDS:
        raise Garbled("not a reply")
    o = _Outcome(case, inputs)
    kind = reply["kind"]
    if kind in ("missing", "integrity"):
        return _Short(kind, reply)
    printed, warned = reply.get("printed", 0), reply.get("warned")
    o.printed = printed if isinstance(printed, int) and not isinstance(printed, bool) else 0
    o.warned = _text(warned, 200) or None
    if kind != "ok":
        o.status, o.problem = kind, _call_problem(spec.name, reply)
        if kind == "error":
            error = _error(reply)
            o.diagnosis = _hint_for_exception(_text(error.get("type"), 100), _text(error.get("message")))
            o.not_implemented = _text(error.get("type"), 100) == "NotImplementedError"
        return o
    _output(spec, o, reply.get("output"))
    if o.status in ("wrong", "bad_output") and o.values is not None:  # NaN, or too far off for float64
        o.float32_only = _right_to_float32(spec, o, truth())
    if o.problem:
        return o
    changed = reply.get("changed") or []
    if not (isinstance(changed, list) and all(isinstance(i, int) and 0 <= i < len(inputs) for i in changed)):
        raise Garbled("bad changed-inputs list")
    for i in changed:
        o.slips.append(f"{spec.name} changed its input {spec.arg_names[i]} in place; work on a copy")
    _compare(spec, o, truth())
    if o.status == "wrong":
        o.float32_only = _right_to_float32(spec, o, truth())
    try:
        o.upstream = read_log(reply.get("upstream_calls"))
    except ValueError as e:
        raise Garbled(str(e)) from None
    spied = spec.spy(case, _model_calls(reply.get("model_calls")) or [])
    if spied:
        o.status, (o.problem, o.diagnosis), o.float32_only = "wrong", spied, False
    return o


# ---- judging a whole check ------------------------------------------------------------------------------------

def _describe_cases(cases: list[Case], with_t: bool) -> str:
    kinds = sorted({f"{c.shape[1]}-D points" if len(c.shape) == 2 else "(B, 1, 8, 8) images" for c in cases})
    scheds = sorted({c.schedule_name for c in cases})
    Ts = sorted({c.T for c in cases})
    dtypes = sorted({_dtype(c.dtype) for c in cases})
    text = (f"{len(cases)} seeded batch{'es' if len(cases) > 1 else ''} ({' and '.join(kinds)}; "
            f"{' and '.join(scheds)} schedules; T = {', '.join(map(str, Ts))}; {' and '.join(dtypes)}")
    lowest = min((min(c.t) for c in cases if c.t), default=0)
    return text + (f"; every batch mixes t = {lowest}, T−1 and middle steps)" if with_t else ")")


def _diagnose(spec: TaskSpec, outcomes: list[_Outcome]) -> str | None:
    """The key of the one known mistake whose wrong formula reproduces the student's output on every case it applies
    to, explaining a failure; None if none does, or if another one does nearly as well (the cases cannot tell those
    stories apart, and naming either could be false)."""
    compared = [o for o in outcomes if o.out64 is not None]
    fits = {}  # key -> how far off its closest variant is at worst, in units of 3 tolerances (≤ 1: it fits)
    for key, variants in WRONG.get(spec.name, {}).items():
        off = min(_off_by(spec, wrong, compared) for wrong in variants)
        if off <= 1:
            fits[key] = off
    ranked = sorted(fits, key=fits.get)
    if len(ranked) == 1 or len(ranked) > 1 and fits[ranked[1]] > max(10 * fits[ranked[0]], DISTINCT_FIT):
        return ranked[0]
    return None


def _blame(spec: TaskSpec, failed: list[_Outcome]) -> str | None:
    """The upstream diagnosis that every failing case with a whole call log supports (at least one does); None if
    any such case shows this task's own code wrong."""
    judged = [_blamed(spec, o) for o in failed
              if o.status == "wrong" and o.upstream is not None and not o.upstream.cut and o.out64 is not None]
    return judged[0] if judged and judged[0] is not None and len(set(judged)) == 1 else None


def _blamed(spec: TaskSpec, o: _Outcome) -> str | None:
    """spec.blame on one case; a log it cannot follow (the student's process sent it: any shapes) blames nothing."""
    try:
        with torch.no_grad():
            return spec.blame(o.case, o.inputs, o.upstream, o.out64)
    except Exception:  # noqa: BLE001 - numbers that do not fit together support no story
        return None


def _off_by(spec: TaskSpec, wrong: Callable, compared: list[_Outcome]) -> float:
    """How far `wrong` is from the student's output at worst over the cases it applies to, in units of 3 tolerances;
    inf if it applies to none, explains no failing case, or is off by more than that somewhere."""
    worst, explains_failure = 0.0, False
    for o in compared:
        try:
            with torch.no_grad():
                w = wrong(*spec.wrong_args(o.case, o.inputs))
        except Exception:  # noqa: BLE001 - a wrong formula that cannot run here does not apply
            w = None
        if w is None or w.shape != o.out64.shape or not bool(torch.isfinite(w).all()):
            continue  # a wrong formula that does not apply here, or gives no numbers to compare
        scaled = float(((o.out64 - w).abs() / (1 + w.abs())).max())
        worst = max(worst, scaled / tolerance(o.case.dtype, 3 * spec.tol_factor))
        if worst > 1:
            return math.inf
        explains_failure |= o.status == "wrong"
    return worst if explains_failure else math.inf


def judge(plan: Plan, replies: list[Any], stopped: tuple[str, str] | None = None,
          runtime_s: float = 0.0) -> CheckResult:
    """The CheckResult of `plan` from the worker's replies, one per case in order (fewer if it stopped early).

    stopped: (status, why) when the worker stopped before the last reply (killed, crashed, out of protocol);
    replies beyond the cases, or of the wrong form, count as out of protocol.
    """
    spec, level = plan.spec, plan.level
    what = f"{spec.name}: checked against {spec.label} on {_describe_cases(plan.cases, spec.with_t)}."

    def result(passed, status, message, **kw) -> CheckResult:
        return CheckResult(spec.name, level, passed, status, message, runtime_s=runtime_s, **kw)

    outcomes: list[_Outcome] = []
    try:
        if len(replies) > len(plan.cases):
            raise Garbled("more replies than cases")
        for i, (case, inputs, reply) in enumerate(zip(plan.cases, plan.inputs, replies)):
            o = _read(spec, case, inputs, reply, partial(plan.truth, i))
            if isinstance(o, _Short):
                if o.kind == "missing":
                    got = _text(o.reply.get("other"), 100) or "nothing"
                    return result(False, "missing", f"{spec.name}: not a function (got {got}); run its cell first.")
                touched = o.reply.get("touched")
                shown = ", ".join(_text(t, 100) for t in touched[:3]) if isinstance(touched, list) else "?"
                return result(False, "integrity", f"{spec.name}: integrity — your solution uses code that already "
                              f"does this task ({shown}). Solutions must compute {spec.label} themselves, without "
                              f"`reference`, `graders` or `diffusers`; this task scores 0.", cases_run=1)
            outcomes.append(o)
            if o.status not in ("passed", "wrong") and not o.float32_only:
                break  # a raise, a timeout, a bad output: the next cases would only repeat it
    except Garbled as e:
        stopped = ("error", f"its process sent the grader a reply out of protocol ({e}).")
    ended_early = len(outcomes) < len(plan.cases) and all(o.status in ("passed", "wrong") or o.float32_only
                                                          for o in outcomes)
    if ended_early:
        # The worker ends a check early only when its time is up; sooner, the submission changed what it was asked.
        skipped = ("error", f"{spec.name} answered only the first {len(outcomes)} of {len(plan.cases)} cases, in "
                            f"{runtime_s:.1f} s of the {UNIT_TIME_LIMIT_S:g} s allowed: the code it ran skipped the "
                            f"rest of the grader's cases.")
        timed_out = ("timeout", f"{spec.name} used more than {UNIT_TIME_LIMIT_S:g} s over the first {len(outcomes)} "
                                f"cases; a correct version takes well under a second.")
        status, why = stopped or (timed_out if runtime_s >= UNIT_TIME_LIMIT_S else skipped)
        i = len(outcomes)
        outcomes.append(_Outcome(plan.cases[i], plan.inputs[i], status=status, problem=why))

    notes = _notes(spec, outcomes)
    failed = [o for o in outcomes if o.status != "passed"]
    compared = [o for o in outcomes if o.out64 is not None]
    max_abs = max((o.abs_err for o in compared), default=math.nan)
    max_rel = max((o.rel_err for o in compared), default=math.nan)
    tol = max((tolerance(c.dtype, spec.tol_factor) for c in plan.cases), default=math.nan)
    slips = list(dict.fromkeys(s for o in outcomes for s in o.slips))
    cut = outcomes[-1] if ended_early else None  # the run stopped there: no reply says what that case did
    float32_only = [o for o in failed if o.float32_only]
    degenerate = [o for o in failed if o is not cut and not o.float32_only and spec.degenerate(o.case) is not None]
    regular = [o for o in failed if not o.float32_only and o not in degenerate]
    if float32_only and not regular:
        slips.append(_float32_only(spec, float32_only))
    if not regular:
        lost = (SLIP_COST if slips else 0) + (DEGENERATE_COST if degenerate else 0)
        if degenerate:
            text = _degenerate_text(spec, degenerate[0], len(outcomes) - len(degenerate))
        else:
            text = f"{spec.name}: passed all {len(outcomes)} cases (max |error| {max_abs:.2g})."
        if slips:
            right = "right to float32 only" if float32_only else "right"
            text += f" The numbers are {right}, but the graded check takes {SLIP_COST} point off: {'; '.join(slips)}."
        return result(True, "passed", text, max_abs_error=max_abs, max_rel_error=max_rel, tolerance=tol,
                      cases_run=len(outcomes), cases_failed=len(degenerate), points_lost=lost,
                      failing_case=degenerate[0].case.describe(spec.with_t) if degenerate else None,
                      notes=slips + notes)

    first = regular[0]  # cases run smallest first, degenerate ones last
    if first is outcomes[0] and first.not_implemented:  # nothing ran: the stub, not a half-written function
        return result(False, "not_attempted", f"{spec.name}: not attempted: it raised NotImplementedError on its first "
                      f"case, as the stub it was handed out with does. Write it ({spec.equation}) and run its cell "
                      f"again.", cases_run=len(outcomes), cases_failed=len(failed))
    failing_case = first.case.describe(spec.with_t)
    # the student's own earlier function to blame outranks any story of this task's code, the spy's included
    diagnosis = (_blame(spec, regular) if first.status == "wrong" else None) or first.diagnosis
    if not diagnosis and first.status == "wrong":
        diagnosis = _diagnose(spec, [o for o in outcomes if o not in degenerate])
    lines = [what, f"Smallest failing case: {failing_case}"
             + (f"; wrong at t = {first.wrong_t}." if first.wrong_t and first.problem is None else ".")]
    if first.problem:
        lines.append(first.problem + ("" if first.problem.endswith((".", "?")) else "."))
    if first.status == "wrong" and first.out64 is not None:
        lines.append(f"Measured: max |error| {first.abs_err:.3g} (relative {first.rel_err:.3g}) against a "
                     f"tolerance of {tolerance(first.case.dtype, spec.tol_factor):.1g}·(1 + |truth|) for "
                     f"{_dtype(first.case.dtype)}; {len(failed)} of {len(outcomes)} cases failed.")
    if diagnosis:
        d = DIAGNOSES[diagnosis]
        lines.append(f"Likely mistake: {d.sentence} Fix: {d.fix}. ({spec.equation}.)"
                     + (f" The lab's {d.page} page shows this idea." if d.page else ""))
    elif first.status == "wrong":
        lines.append(f"No known mistake matches; compare your code term by term with {spec.equation}.")
    lines += (slips + notes)[:2]
    return result(False, first.status, "\n".join(lines), max_abs_error=max_abs, max_rel_error=max_rel,
                  tolerance=tol, diagnosis=diagnosis, failing_case=failing_case,
                  cases_run=len(outcomes), cases_failed=len(failed), notes=slips + notes)


def syntax_error(result: CheckResult, where: str) -> CheckResult:
    """A "missing" result restated once the grader finds that the cell defining the function does not parse
    (graders/engine/notebook.py, syntax_errors): `where` names the cell, the line and Python's message."""
    if result.status != "missing":
        raise ValueError(f"only a missing function's result is restated as a syntax error; got {result.status!r}")
    return CheckResult(result.task, result.level, False, "syntax_error",
                       f"{result.task}: syntax error in {where}. Python could not read that cell, so none of it ran "
                       f"and {result.task} was never defined; fix that line and run the cell again.",
                       runtime_s=result.runtime_s)


def _float32_only(spec: TaskSpec, failed: list[_Outcome]) -> str:
    """The precision slip's note: which float64 cases were right to float32 only, by how much, and the fix."""
    worst = max(o.abs_err for o in failed)
    nan = " and NaN where float32 cannot give the answer" if any(o.out64 is None for o in failed) else ""
    return (f"{spec.name}'s result is accurate to float32 only for float64 inputs (max |error| {worst:.2g}{nan} "
            f"on {len(failed)} float64 case{'s' if len(failed) > 1 else ''}, against float64's tolerance of "
            f"{tolerance(torch.float64, spec.tol_factor):.1g}·(1 + |truth|)): compute in the inputs' dtype — keep the "
            f"float64 schedule and cast its coefficients to x's dtype, with no .float(), float32 buffers or torch.full "
            f"without dtype=x.dtype")


def _degenerate_text(spec: TaskSpec, o: _Outcome, passed: int) -> str:
    """A check failed only at documented degenerate cases: which, what went wrong there, and what it costs."""
    if o.problem:
        went = o.problem.rstrip(".")
    else:
        went = (f"max |error| {o.abs_err:.3g} against a tolerance of {tolerance(o.case.dtype, spec.tol_factor):.1g}·"
                f"(1 + |truth|)")
    return (f"{spec.name}: fails only at the degenerate case {spec.degenerate(o.case)}: {went} "
            f"({o.case.describe(spec.with_t)}). The other {passed} cases passed; a documented degenerate case costs "
            f"{DEGENERATE_COST} points of the hidden check, not the task.")


def _notes(spec: TaskSpec, outcomes: list[_Outcome]) -> list[str]:
    notes = []
    printed = sum(o.printed for o in outcomes)
    if printed:
        notes.append(f"{spec.name} printed {printed} line(s); output hidden")
    warned = next((o.warned for o in outcomes if o.warned), None)
    if warned:
        notes.append(f"{spec.name} warned: {warned}")
    return notes
