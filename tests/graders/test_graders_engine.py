"""Is engine.judge a trust boundary: does it pass a check only on right numbers, whatever the replies claim?

judge() reads what a student's process sent (graders/sandbox/worker.py) as untrusted plain data. These tests forge and
garble replies directly, with no worker: every reply of the wrong form, every wrong number and every cut-short run
must fail with a message, and a reply built from the reference's own answers must pass (so the tests can pass).

Policy: right numbers delivered against the contract (another float dtype, a NumPy array, a Python number instead
of a 0-d tensor, an input changed in place, numbers right to float32 only for float64 inputs) pass with points_lost =
engine.SLIP_COST (1) and a note. A failure confined to a documented degenerate case (T = 1, steps = 1) passes with
points_lost = engine.DEGENERATE_COST (2) and a message naming the case.
"""
from __future__ import annotations

import copy
import dataclasses
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.engine import judging as engine, notebook
from graders.engine.results import CheckResult
from graders.engine.tasks import tasks_of
from graders.engine.wire import encode_tensor, encode_value

TASKS = tasks_of("ddpm_core")
BEYOND = tasks_of("ddpm_beyond")


def _calls(name: str, case) -> list[list[int]] | None:
    """The model-call log an honest function leaves: the batch's t for eps_loss, t = T−1 … 0 for sample_loop."""
    if name == "eps_loss":
        return [list(case.t)]
    if name == "sample_loop":
        return [[t] * case.shape[0] for t in reversed(range(case.T))]
    if name == "ddim_step":
        return [list(case.t)]
    return None


def _reply(output: dict, model_calls=None, **extra) -> dict:
    return {"kind": "ok", "output": output, "error": None, "changed": [], "model_calls": model_calls, "printed": 0,
            "warned": None, "seconds": 0.01, **extra}


def _honest(plan: engine.Plan) -> list[dict]:
    """One reply per case, built from the reference's own answer cast to the case's dtype."""
    return [_reply(encode_value(plan.spec.truth(case, inputs).to(case.dtype)), _calls(plan.spec.name, case))
            for case, inputs in zip(plan.cases, plan.inputs)]


@pytest.fixture(scope="module")
def q_plan() -> engine.Plan:
    return engine.plan(TASKS["q_sample"], "sanity")


@pytest.fixture(scope="module")
def loss_plan() -> engine.Plan:
    return engine.plan(TASKS["eps_loss"], "sanity")


def _refused(result: CheckResult, status: str = "error") -> None:
    assert isinstance(result, CheckResult)
    assert not result.passed and result.status == status, result.message
    assert result.message.startswith(f"{result.task}: checked against")
    assert result.points_lost == 0


# ---- the test can pass ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["sanity", "full"])
@pytest.mark.parametrize("task", list(TASKS))
def test_the_references_answers_pass(task, level):
    """Do replies holding the reference's answers, in each case's dtype, pass every task with no point off?"""
    plan = engine.plan(TASKS[task], level)
    result = engine.judge(plan, _honest(plan))
    assert result.passed and result.status == "passed" and result.points_lost == 0, result.message
    assert result.cases_run == len(plan.cases) and result.max_abs_error < 1e-5  # float32 rounding only


def test_right_answers_to_only_some_cases_fail_as_a_timeout_only_when_the_time_was_up(q_plan):
    """A worker ends a check early only when its time is up. Right answers to only the first cases, in a fraction of
    that time, mean the submission skipped the rest (it rewrote the grader's job): do they fail as an error that says
    so, and as a timeout only once the time was really spent?"""
    first = _honest(q_plan)[:1]
    skipped = engine.judge(q_plan, first, runtime_s=0.5)
    _refused(skipped)
    assert f"answered only the first 1 of {len(q_plan.cases)} cases" in skipped.message
    timed_out = engine.judge(q_plan, first, runtime_s=engine.UNIT_TIME_LIMIT_S + 0.1)
    _refused(timed_out, "timeout")
    assert f"used more than {engine.UNIT_TIME_LIMIT_S:g} s" in timed_out.message


def test_right_numbers_against_the_contract_are_slips(q_plan, loss_plan):
    """Do right numbers in float64 for float32 inputs, as an ndarray, as a Python number or with an input changed
    in place pass with SLIP_COST points off, one note each, never more than SLIP_COST in all?"""
    promoted = [_reply({"tensor": encode_tensor(q_plan.spec.truth(c, i))}) for c, i in zip(q_plan.cases, q_plan.inputs)]
    assert any(c.dtype == torch.float32 for c in q_plan.cases)
    result = engine.judge(q_plan, promoted)
    assert result.passed and result.points_lost == engine.SLIP_COST == 1
    assert result.notes == ["q_sample returned float64 for float32 inputs; cast the schedule's coefficients to x's "
                            "dtype (e.g. alpha_bar[t].to(x0.dtype)) so the result keeps it"]

    replies = _honest(q_plan)
    replies[0]["output"] = {"ndarray": replies[0]["output"]["tensor"]}
    replies[1]["changed"] = [0, 2]
    result = engine.judge(q_plan, replies)
    assert result.passed and result.points_lost == engine.SLIP_COST
    assert [n.split(";")[0] for n in result.notes] == ["q_sample returned a NumPy array",
                                                       "q_sample changed its input x0 in place",
                                                       "q_sample changed its input noise in place"]

    numbers = [_reply({"number": loss_plan.spec.truth(c, i).item()}, _calls("eps_loss", c))
               for c, i in zip(loss_plan.cases, loss_plan.inputs)]
    result = engine.judge(loss_plan, numbers)
    assert result.passed and result.points_lost == engine.SLIP_COST and ".item()" in result.notes[0]


def _scaled(plan: engine.Plan, factor: float, dtype=torch.float64) -> list[dict]:
    """Honest replies with the answers of the `dtype` cases multiplied by `factor`."""
    return [_reply(encode_value(plan.truth(i).to(c.dtype) * (factor if c.dtype == dtype else 1)),
                   _calls(plan.spec.name, c)) for i, c in enumerate(plan.cases)]


@pytest.mark.parametrize("task", ["q_sample", "sample_loop"])
def test_numbers_right_to_float32_only_for_float64_inputs_are_a_slip(task):
    """Are float64 answers off by float32's rounding (1e-6 relative) a slip, one point off with the cause and fix
    named, while one part in a thousand, or float32 rounding on top of a wrong float32 case, still fails?"""
    plan = engine.plan(TASKS[task], "full")
    result = engine.judge(plan, _scaled(plan, 1 + 1e-6))
    assert result.passed and result.points_lost == engine.SLIP_COST == 1, result.message
    assert result.notes[0].startswith(f"{task}'s result is accurate to float32 only for float64 inputs")
    assert "compute in the inputs' dtype" in result.message and "right to float32 only" in result.message
    assert engine.judge(plan, _scaled(plan, 1 + 1e-6, torch.float32)).points_lost == 0  # within float32's tolerance

    result = engine.judge(plan, _scaled(plan, 1 + 1e-3))
    assert not result.passed and result.status == "wrong" and result.points_lost == 0, result.message
    replies = _scaled(plan, 1 + 1e-6)
    i = next(i for i, c in enumerate(plan.cases) if c.dtype == torch.float32)
    replies[i] = _reply(encode_value(plan.truth(i).to(torch.float32) + 0.1), _calls(task, plan.cases[i]))
    _refused(engine.judge(plan, replies), "wrong")


def _with_nan(plan: engine.Plan, i: int, example: int) -> list[dict]:
    replies = _honest(plan)
    truth = plan.truth(i).clone()
    truth[example] = math.nan
    replies[i] = _reply(encode_value(truth), _calls(plan.spec.name, plan.cases[i]))
    return replies


def test_nan_only_where_float32_cannot_take_the_step_is_the_precision_slip():
    """Is NaN on a float64 case of ddim_step, at an example whose step float32 cannot take (η = 1, ᾱ_t ≈ 0), the
    precision slip, judging every case after it, while NaN at any other example fails?"""
    spec = BEYOND["ddim_step"]
    plan = engine.plan(spec, "full")
    i, example = next((i, spec.float32_fragile(c, plan.inputs[i])[0]) for i, c in enumerate(plan.cases)
                      if spec.float32_fragile(c, plan.inputs[i]))
    assert plan.cases[i].dtype == torch.float64 and plan.cases[i].param("η") == 1.0
    result = engine.judge(plan, _with_nan(plan, i, example))
    assert result.passed and result.points_lost == engine.SLIP_COST, result.message
    assert result.cases_run == len(plan.cases) and "float32 only" in result.notes[0]

    other = next(e for e in range(plan.cases[i].shape[0]) if e not in spec.float32_fragile(plan.cases[i], ()))
    result = engine.judge(plan, _with_nan(plan, i, other))
    _refused(result, "bad_output")
    assert "NaN" in result.message


# ---- documented degenerate cases --------------------------------------------------------------------------------

def test_degenerate_cases_run_last():
    """Do the documented degenerate cases (sample_loop's T = 1, the DDIM loops' steps = 1) run after all the others,
    one in every seed's hidden cases?"""
    for seed in (0, 1, 2020):
        loop = engine.plan(TASKS["sample_loop"], "full", seed).cases
        assert [c.T for c in loop].count(1) == 1 and loop[-1].T == 1
        for task in ("ddim_sample", "sample_latent"):
            cases = engine.plan(BEYOND[task], "full", seed).cases
            assert [c.param("steps") for c in cases].count(1) == 1 and cases[-1].param("steps") == 1
    assert all(c.T > 1 for c in engine.plan(TASKS["sample_loop"], "sanity").cases)


@pytest.mark.parametrize("how", ["index_error", "wrong", "nan"])
def test_a_failure_only_at_T_1_costs_the_stated_points(how):
    """Does sample_loop failing only at T = 1 pass with DEGENERATE_COST off, its message naming T = 1 and what went
    wrong there, never "shifted by one" (the diagnosis an IndexError would get on any other case)?"""
    plan = engine.plan(TASKS["sample_loop"], "full")
    replies = _honest(plan)
    last = plan.cases[-1]
    if how == "index_error":
        replies[-1] = {"kind": "error", "error": {"type": "IndexError", "where": "",
                                                  "message": "index 1 is out of bounds for dimension 0 with size 1"}}
    else:
        replies[-1] = _reply(encode_value(plan.truth(len(plan.cases) - 1) + (math.nan if how == "nan" else 0.5)),
                             _calls("sample_loop", last))
    result = engine.judge(plan, replies)
    assert result.passed and result.points_lost == engine.DEGENERATE_COST == 2, result.message
    assert result.message.startswith("sample_loop: fails only at the degenerate case T = 1 (one step")
    assert {"index_error": "IndexError", "wrong": "max |error| 0.5", "nan": "NaN"}[how] in result.message
    assert result.diagnosis is None and "shifted" not in result.message
    assert result.failing_case == last.describe(False) and result.cases_failed == 1

    replies[0] = _reply(encode_value(plan.truth(0) + 0.5), _calls("sample_loop", plan.cases[0]))
    result = engine.judge(plan, replies)  # a regular case wrong as well: the task fails, as before
    _refused(result, "wrong")
    assert result.failing_case == plan.cases[0].describe(False)


def test_a_slip_and_a_degenerate_failure_add_up():
    """Do a precision slip and a failure at T = 1 cost SLIP_COST + DEGENERATE_COST, both named?"""
    plan = engine.plan(TASKS["sample_loop"], "full")
    replies = _scaled(plan, 1 + 1e-6)
    replies[-1] = {"kind": "error", "error": {"type": "ValueError", "message": "need two steps", "where": ""}}
    result = engine.judge(plan, replies)
    assert result.passed and result.points_lost == engine.SLIP_COST + engine.DEGENERATE_COST == 3, result.message
    assert "T = 1" in result.message and "accurate to float32 only" in result.message


def test_each_answer_is_computed_once_per_plan(monkeypatch):
    """Does a plan compute each case's expected answer once, however many submissions it judges?"""
    plan = engine.plan(TASKS["q_sample"], "full")
    replies, calls, truth = _honest(plan), [], plan.spec.truth
    monkeypatch.setattr(plan, "spec", dataclasses.replace(plan.spec, truth=lambda c, i: calls.append(c) or truth(c, i)))
    assert engine.judge(plan, replies).passed and engine.judge(plan, replies).passed
    assert len(calls) == len(plan.cases)


# ---- replies of the wrong form ----------------------------------------------------------------------------------

def _garble(plan: engine.Plan, how) -> list:
    replies = _honest(plan)
    replies[-1] = how(copy.deepcopy(replies[-1]))
    return replies


def _tensor(reply: dict) -> dict:
    return reply["output"]["tensor"]


def _set(d: dict, **kw) -> dict:
    d.update(kw)
    return d


GARBLED = {
    "not-a-dict": lambda r: [r],
    "text": lambda r: "ok",
    "none": lambda r: None,
    "unknown-kind": lambda r: _set(r, kind="passed"),
    "no-kind": lambda r: {k: v for k, v in r.items() if k != "kind"},
    "no-output": lambda r: _set(r, output=None),
    "output-not-a-dict": lambda r: _set(r, output=[1.0]),
    "output-extra-key": lambda r: _set(r, output={**r["output"], "number": 1.0}),
    "output-unknown-kind": lambda r: _set(r, output={"pickle": _tensor(r)}),
    "tensor-extra-key": lambda r: _set(_tensor(r), passed=True) and r,
    "data-longer-than-shape": lambda r: _set(_tensor(r), data=_tensor(r)["data"] + [0.0]) and r,
    "data-shorter-than-shape": lambda r: _set(_tensor(r), data=_tensor(r)["data"][:-1]) and r,
    "strings-in-data": lambda r: _set(_tensor(r), data=[str(v) for v in _tensor(r)["data"]]) and r,
    "unknown-dtype": lambda r: _set(_tensor(r), dtype="float8") and r,
    "number-beyond-float64": lambda r: _set(_tensor(r), data=[10**400] * len(_tensor(r)["data"])) and r,
    "error-not-a-dict": lambda r: {"kind": "error", "error": "ZeroDivisionError"},
    "error-a-list": lambda r: {"kind": "error", "error": ["x"]},
    "error-type-not-text": lambda r: {"kind": "error", "error": {"type": 7, "message": "m"}},
    "warned-not-text": lambda r: _set(r, warned=["x"]),
    "changed-out-of-range": lambda r: _set(r, changed=[4]),
    "changed-negative": lambda r: _set(r, changed=[-1]),
    "changed-text": lambda r: _set(r, changed=["0"]),
    "changed-not-a-list": lambda r: _set(r, changed="x0"),
}


@pytest.mark.parametrize("how", list(GARBLED), ids=list(GARBLED))
def test_a_reply_of_the_wrong_form_never_passes(q_plan, how):
    """Is a reply of the wrong form refused as out of protocol (status error), with a message, and never passed?"""
    result = engine.judge(q_plan, _garble(q_plan, GARBLED[how]))
    _refused(result, "error")
    assert "out of protocol" in result.message, result.message


@pytest.mark.parametrize("log", [
    pytest.param("0, 5, 9", id="text"),
    pytest.param([0, 5, 9], id="ints-not-lists"),
    pytest.param([[0, 5, 9.0]], id="float-t"),
    pytest.param([[True, False, True]], id="bools"),
    pytest.param({"0": [0]}, id="dict"),
])
def test_a_model_call_log_of_the_wrong_type_never_passes(loss_plan, log):
    """Is a model-call log that is not a list of lists of ints refused as out of protocol?"""
    replies = _honest(loss_plan)
    replies[0]["model_calls"] = log
    _refused(engine.judge(loss_plan, replies))


def test_more_replies_than_cases_never_pass(q_plan):
    """Is an extra reply, even a right one, refused as out of protocol?"""
    replies = _honest(q_plan)
    result = engine.judge(q_plan, replies + replies[-1:])
    _refused(result)
    assert "more replies than cases" in result.message


# ---- replies of the right form with the wrong numbers ----------------------------------------------------------

def test_right_shape_wrong_numbers_fail(q_plan):
    """Does a well-formed tensor of the right shape and dtype with wrong numbers fail as `wrong`, measured?"""
    replies = _honest(q_plan)
    data = _tensor(replies[1])["data"]
    _tensor(replies[1])["data"] = [v + 0.01 for v in data]
    result = engine.judge(q_plan, replies)
    _refused(result, "wrong")
    assert 0.009 < result.max_abs_error < 0.011 and result.cases_failed == 1


def test_the_inputs_sent_back_fail(q_plan):
    """Does returning an input (x0 or the noise) instead of x_t fail?"""
    for index in (0, 2):
        replies = [_reply(encode_value(inputs[index])) for inputs in q_plan.inputs]
        _refused(engine.judge(q_plan, replies), "wrong")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_fail(q_plan, loss_plan, bad):
    """Does NaN or inf fail as bad_output, in a tensor or as a Python number (NaN compares as no error at all)?"""
    replies = _honest(q_plan)
    _tensor(replies[0])["data"][0] = bad
    result = engine.judge(q_plan, replies)
    _refused(result, "bad_output")
    assert "NaN or inf" in result.message and "t = [" in result.message
    numbers = [_reply({"number": bad}, _calls("eps_loss", c)) for c in loss_plan.cases]
    result = engine.judge(loss_plan, numbers)
    _refused(result, "bad_output")
    assert "NaN or inf" in result.message


@pytest.mark.parametrize("field, value, words", [
    ("dtype", "int64", "returned a int64 result"),
    ("dtype", "bool", "returned a bool result"),
    ("device", "cuda:0", "on cuda:0"),
])
def test_right_numbers_with_a_wrong_dtype_or_device_fail(q_plan, field, value, words):
    """Do integer or boolean results, or results claimed to be off the CPU, fail as bad_output?"""
    replies = _honest(q_plan)
    tensor = _tensor(replies[0])
    tensor[field] = value
    if value in ("int64", "bool"):
        tensor["data"] = [int(v) for v in tensor["data"]]
    result = engine.judge(q_plan, replies)
    _refused(result, "bad_output")
    assert words in result.message


def test_wrong_shape_fails(q_plan):
    """Does the right numbers in the wrong shape fail as bad_output, naming both shapes?"""
    replies = _honest(q_plan)
    tensor = _tensor(replies[0])
    tensor["shape"] = [math.prod(tensor["shape"])]
    result = engine.judge(q_plan, replies)
    _refused(result, "bad_output")
    assert "returned shape (6,); expected (3, 2)" in result.message


def test_a_forged_model_call_log_shows(loss_plan):
    """Does the spy's log count: right numbers with the model called at t + 1 fail, naming the mistake?"""
    replies = _honest(loss_plan)
    replies[0]["model_calls"] = [[t + 1 for t in loss_plan.cases[0].t]]
    result = engine.judge(loss_plan, replies)
    _refused(result, "wrong")
    assert result.diagnosis == "model_t_plus_1"


def test_a_claimed_integrity_or_missing_reply_fails(q_plan):
    """Does a reply saying `integrity` or `missing` fail at once, whatever it names?"""
    result = engine.judge(q_plan, [{"kind": "integrity", "touched": [7]}])
    _refused(result)
    result = engine.judge(q_plan, [{"kind": "integrity", "touched": ["import reference"]}])
    assert not result.passed and result.status == "integrity" and "import reference" in result.message
    result = engine.judge(q_plan, [{"kind": "missing", "other": "int"}])
    assert not result.passed and result.status == "missing" and "got int" in result.message


NOT_IMPLEMENTED = {"kind": "error", "error": {"type": "NotImplementedError", "message": "",
                                              "where": " (line 9 in q_sample: raise NotImplementedError())"}}


def test_the_stub_left_in_is_not_attempted(q_plan):
    """Is a function that raises NotImplementedError on its first case "not attempted", not an error?"""
    result = engine.judge(q_plan, [NOT_IMPLEMENTED])
    assert not result.passed and result.status == "not_attempted", result.message
    assert result.message.startswith("q_sample: not attempted: it raised NotImplementedError")


def test_not_implemented_after_a_right_case_is_an_error(q_plan):
    """Is NotImplementedError raised only after a case came back right an error of a half-written function?"""
    _refused(engine.judge(q_plan, _honest(q_plan)[:1] + [NOT_IMPLEMENTED]), "error")


def test_a_missing_function_restated_as_a_syntax_error(q_plan):
    """Does a missing function whose cell does not parse become "syntax_error", naming the cell, line and message,
    and is any other status refused?"""
    cells = [{"label": "cell 3 (q_sample)", "source": "# q_sample\ndef q_sample(x0, t, noise, alpha_bar)\n"
              "    return x0\n", "solution": True},
             {"label": "cell 4 (setup)", "source": "def posterior_mean(:\n", "solution": False}]
    broken = notebook.syntax_errors(cells)
    assert set(broken) == {"q_sample"}  # a cell students do not write is not theirs to be told about
    result = engine.syntax_error(engine.judge(q_plan, [{"kind": "missing", "other": "NoneType"}]), broken["q_sample"])
    assert result.status == "syntax_error" and not result.passed
    assert "syntax error in cell 3 (q_sample), line 2: expected ':' (def q_sample(x0, t, noise, alpha_bar))" \
        in result.message, result.message
    with pytest.raises(ValueError, match="only a missing function"):
        engine.syntax_error(engine.judge(q_plan, [NOT_IMPLEMENTED]), broken["q_sample"])


# ---- runs cut short ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kept", [0, 1])
def test_replies_cut_short_by_an_exit_are_exit(q_plan, kept):
    """Does a run that stopped (its process ended) after `kept` right replies fail with the runner's status?"""
    why = "its process ended (exit code 3): os._exit, posix._exit, a crash in native code, or memory beyond 6 GiB."
    result = engine.judge(q_plan, _honest(q_plan)[:kept], stopped=("exit", why))
    _refused(result, "exit")
    assert why in result.message and result.cases_run == kept + 1


@pytest.mark.parametrize("kind", ["error", "timeout", "memory", "exit"])
def test_a_call_that_did_not_return_fails_with_its_kind(q_plan, kind):
    """Is a reply saying the call raised, overran, ran out of memory or exited a failure of that kind?"""
    reply = {"kind": kind, "error": {"type": "ZeroDivisionError", "message": "division by zero", "where": ""}}
    result = engine.judge(q_plan, _honest(q_plan)[:1] + [reply])
    _refused(result, kind)


# ---- anything at all --------------------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)
PATHS = st.sampled_from([(), ("kind",), ("output",), ("output", "tensor"), ("output", "tensor", "data"),
                         ("output", "tensor", "shape"), ("output", "tensor", "dtype"), ("changed",), ("error",),
                         ("model_calls",), ("printed",), ("warned",), ("touched",), ("other",)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 1), path=PATHS, value=JSON, kind=st.sampled_from([None, *engine.KINDS]),
       task=st.sampled_from(["q_sample", "eps_loss"]))
def test_any_mutated_reply_is_judged_without_crashing(which, path, value, kind, task):
    """Does judge survive any JSON put anywhere in an honest reply, its kind changed or not, passing only if the
    numbers stayed right?"""
    plan = engine.plan(TASKS[task], "sanity")
    replies = _honest(plan)
    honest = copy.deepcopy(replies)
    if kind:
        replies[which]["kind"] = kind
    if not path:
        replies[which] = value
    else:
        target = replies[which]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    result = engine.judge(plan, replies)
    assert isinstance(result, CheckResult) and result.message
    if result.passed:
        assert [r["output"] for r in replies] == [r["output"] for r in honest] or result.points_lost == 1
