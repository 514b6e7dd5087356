"""Do the checks name every planted mistake, survive every robustness case, and report plain, repeatable data?

Fast: runs each planted file of tests/graders/submissions/ through its check directly, no notebook or kernel.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import torch

from graders.checks import TASKS, CheckFailed, CheckResult, SpyModel, check_q_sample, run_check, run_checks
from graders.diagnoses import DIAGNOSES, WRONG

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"
NOTEBOOK = ROOT / "assignments" / "source" / "ddpm_core" / "ddpm_core.ipynb"


def _planted():
    for path in sorted(SUBMISSIONS.glob("*.py")):
        source = path.read_text()
        if "# unit: skip" in source:
            continue
        task = re.search(r"^# task: (\w+)", source, re.M).group(1)
        expect = re.search(r"^# expect(?:-status)?: (\w+)", source, re.M).group(1)
        yield pytest.param(path, task, expect, id=path.stem)


def _load(path: Path, task: str):
    namespace = {"__name__": "student"}
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    except SyntaxError:
        return None
    return namespace.get(task)


def _solution_functions() -> dict:
    """The instructor's solution cells from the source notebook, executed."""
    namespace = {"torch": torch}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, namespace)
    return {name: namespace[name] for name in TASKS}


@pytest.mark.parametrize("level", ["sanity", "full"])
@pytest.mark.parametrize("path, task, expect", list(_planted()))
def test_planted_submission_is_named(path, task, expect, level, monkeypatch):
    """Does each planted mistake fail both the visible and the hidden check, with its diagnosis or status?"""
    monkeypatch.setattr("graders.checks.CALL_TIME_LIMIT_S", 0.5)  # the endless loop need not take 5 s here
    result = run_check(task, _load(path, task), level)
    if expect == "passed":
        assert result.passed, result.message
        return
    assert not result.passed
    assert expect in (result.diagnosis, result.status), result.message
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in result.message
    assert result.message.startswith(f"{task}:")
    if expect == "timeout":
        assert result.runtime_s < 3


def test_every_diagnosis_is_planted_or_spied():
    """Is every wrong formula's diagnosis exercised by a planted submission (or by the sampler's spy)?"""
    planted = {p.values[2] for p in _planted()}
    spy_or_exception_only = {"reverse_order", "stops_early", "repeated_model_calls", "broadcast"}
    for task, table in WRONG.items():
        for key in table:
            assert key in DIAGNOSES, key
    used = {key for table in WRONG.values() for key in table} | spy_or_exception_only
    assert used <= set(DIAGNOSES)
    assert set(DIAGNOSES) <= planted


@pytest.mark.parametrize("key", sorted(DIAGNOSES))
def test_diagnosis_is_one_plain_sentence(key):
    """Is each diagnosis one sentence, ending in a full stop?"""
    sentence = DIAGNOSES[key].sentence
    assert sentence.endswith(".") and sentence.replace("eq. ", "eq ").count(". ") == 0, sentence
    assert DIAGNOSES[key].key == key


def test_instructor_solution_passes_every_check():
    """Does the notebook's own solution pass every check at both levels, with tiny errors?"""
    for level in ("sanity", "full"):
        results = run_checks(_solution_functions(), level)
        for name, result in results.items():
            assert result.passed, result.message
            assert result.max_abs_error < 1e-5, name


def test_failure_message_has_the_four_parts():
    """Does a failure say what was checked, the smallest failing case, the measured error and the likely mistake?"""
    path = SUBMISSIONS / "q_sample__missing_sqrt.py"
    result = check_q_sample(_load(path, "q_sample"))
    lines = result.message.splitlines()
    assert lines[0].startswith("q_sample: checked against eq. 4 on 27 seeded batches")
    assert lines[1].startswith("Smallest failing case: shape (1, 2)")
    assert "max |error|" in lines[2] and "tolerance" in lines[2]
    assert lines[3].startswith("Likely mistake: A square root is missing")
    assert result.failing_case and result.max_abs_error > 0.01 and result.cases_failed >= 1


def test_result_is_plain_data_and_raises():
    """Is a CheckResult JSON-ready, and does raise_if_failed raise CheckFailed (an AssertionError) with the message?"""
    result = check_q_sample(_load(SUBMISSIONS / "q_sample__alpha_bar_wrap.py", "q_sample"), level="sanity")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["task"] == "q_sample" and data["passed"] is False and data["diagnosis"] == "alpha_bar_wrap"
    assert set(data) >= {"message", "max_abs_error", "max_rel_error", "diagnosis", "runtime_s", "status"}
    with pytest.raises(CheckFailed) as info:
        result.raise_if_failed()
    assert isinstance(info.value, AssertionError) and str(info.value) == result.message


def test_passing_result_prints_its_summary(capsys):
    """Does a passing check print one line and raise nothing?"""
    check_q_sample(_solution_functions()["q_sample"], level="sanity").raise_if_failed()
    assert capsys.readouterr().out.startswith("q_sample: passed all 2 cases")


def test_same_submission_same_result():
    """Is a check deterministic: the same submission gives the same result twice, runtime aside?"""
    fn = _load(SUBMISSIONS / "sample_loop__noise_index.py", "sample_loop")
    first, second = (run_check("sample_loop", fn).to_dict() for _ in range(2))
    first.pop("runtime_s"), second.pop("runtime_s")
    assert first == second


def test_missing_and_non_function():
    """Is a missing function or a non-function reported as a failed result instead of raising?"""
    assert run_check("q_sample", None).status == "missing"
    assert run_check("q_sample", 42).status == "missing"
    assert set(run_checks({})) == set(TASKS)
    with pytest.raises(ValueError):
        run_check("no_such_task", None)


def test_registry_matches_the_notebook():
    """Do the points and grade ids in TASKS match the notebook's test cells?"""
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    for name, task in TASKS.items():
        sanity, hidden = cells[f"test_{name}_sanity"], cells[f"test_{name}_hidden"]
        assert sanity.metadata["nbgrader"]["points"] == task.points_sanity
        assert hidden.metadata["nbgrader"]["points"] == task.points_hidden
        assert task.points_hidden > task.points_sanity
        assert "### BEGIN HIDDEN TESTS" in hidden.source and f"check_{name}({name})" in hidden.source
        assert f'check_{name}({name}, level="sanity")' in sanity.source


def test_spy_model_records_timesteps():
    """Does the spy model record each call's t, accept an int t, clamp t = T, and refuse a float t?"""
    spy = SpyModel(lambda x, t: x * 0 + t.reshape(-1, 1).to(x.dtype), T=5)
    x = torch.zeros(3, 2)
    assert spy(x, torch.tensor([4, 4, 4])).max() == 4
    assert spy(x, 2).min() == 2
    assert spy(x, torch.tensor([5, 5, 5])).max() == 4  # clamped for use, recorded as given
    assert spy.calls == [(4, 4, 4), (2, 2, 2), (5, 5, 5)]
    with pytest.raises(TypeError):
        spy(x, torch.tensor([1.0, 1.0, 1.0]))


def test_check_catches_its_own_warnings(capfd):
    """Does a check keep the student's prints, stderr writes and warnings out of the cell's output?"""
    result = run_check("q_sample", _load(SUBMISSIONS / "robust__noisy_but_right.py", "q_sample"), "sanity")
    out, err = capfd.readouterr()
    assert result.passed and err == "" and "debug" not in out
    assert any("warned" in note for note in result.notes)


def test_input_modified_in_place_fails():
    """Does a function that overwrites its input fail with a message saying so?"""
    def in_place(x0, t, noise, alpha_bar):
        ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
        return x0.mul_(ab.sqrt()).add_((1 - ab).sqrt() * noise)

    result = check_q_sample(in_place, level="sanity")
    assert not result.passed and "in place" in result.message


def test_eps_loss_per_example_shape_is_explained():
    """Does an eps_loss returning (B,) losses fail with a hint to average them?"""
    def per_example(model, x0, t, noise, alpha_bar):
        ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
        return ((noise - model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t)) ** 2).flatten(1).mean(1)

    result = run_check("eps_loss", per_example, "sanity")
    assert result.status == "bad_output" and "average them" in result.message


def test_check_catches_the_graders_own_warnings(monkeypatch, capfd):
    """Does a warning raised by the grader's side (the reference) stay out of stderr, noted in the result?"""
    import warnings

    import graders.checks as checks

    real = checks.reference.q_sample

    def warning_q_sample(*args):
        warnings.warn("reference says hello")
        return real(*args)

    monkeypatch.setattr(checks.reference, "q_sample", warning_q_sample)
    result = check_q_sample(_solution_functions()["q_sample"], level="sanity")
    assert result.passed and capfd.readouterr().err == ""
    assert any("reference says hello" in note for note in result.notes)
    assert isinstance(result, CheckResult)
