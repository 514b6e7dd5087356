"""Do the checks name every planted mistake, survive every robustness case, and report plain, repeatable data?

Fast: runs each planted file of tests/graders/submissions/ through its check directly, in this process, the way the
notebook's sanity cells do (graders/student/checks.py); tests/graders/test_graders_confinement.py runs the confined worker.

Policy: right numbers delivered against the contract (another float dtype, such as float64 for float32 inputs; a
NumPy array; a Python number instead of a 0-d tensor; an input changed in place) pass with points_lost =
engine.SLIP_COST (1) and a note saying what to fix, instead of failing the task. Wrong numbers still fail.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import nbformat
import pytest
import torch

from graders.student.checks import check_eps_loss, check_posterior_mean, check_q_sample, run_check, run_checks
from graders.engine.diagnoses import DIAGNOSES, WRONG
from graders.engine.judging import SLIP_COST
from graders.engine.results import CheckFailed, CheckResult
from graders.engine.stand_ins import SpyModel
import graders.engine.tasks
from graders.engine.tasks import tasks_of
from planted import load, read

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"  # <assignment>/<task>__<mistake>.py
CORE = SUBMISSIONS / "ddpm_core"
ASSIGNMENTS = sorted(graders.engine.tasks.ASSIGNMENTS)
TASKS = tasks_of("ddpm_core")
# Planted files this process cannot contain: stem -> why (tests/graders/test_graders_confinement.py runs them confined).
CONFINED_ONLY = {"robust__big_alloc": "a 10 GB allocation: only the confined worker's RLIMIT_AS stops it"}


def _planted():
    for path in sorted(SUBMISSIONS.glob("*/*.py")):
        source = path.read_text()
        if "# unit: skip" in source:
            continue
        task = re.search(r"^# task: (\w+)", source, re.M).group(1)
        expect = re.search(r"^# expect(?:-status)?: (\w+)", source, re.M).group(1)
        lost = re.search(r"^# points-lost: (\d+)", source, re.M)
        marks = [pytest.mark.skip(reason=CONFINED_ONLY[path.stem])] if path.stem in CONFINED_ONLY else []
        yield pytest.param(path, path.parent.name, task, expect, int(lost.group(1)) if lost else 0,
                           id=f"{path.parent.name}/{path.stem}", marks=marks)


def _load(path: Path, task: str):
    """The planted file's `task` function (after its upstream-from file, if it names one: tests/support/planted.py)."""
    return load(dataclasses.replace(read(path), task=task))


def _notebook(assignment: str) -> Path:
    return ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb"


def _solution_functions(assignment: str = "ddpm_core") -> dict:
    """The instructor's solution cells from the assignment's source notebook, executed."""
    namespace = {"torch": torch}
    for cell in nbformat.read(_notebook(assignment), as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, namespace)
    return {name: namespace[name] for name in tasks_of(assignment)}


@pytest.mark.parametrize("level", ["sanity", "full"])
@pytest.mark.parametrize("path, assignment, task, expect, points_lost", list(_planted()))
def test_planted_submission_is_named(path, assignment, task, expect, points_lost, level, monkeypatch):
    """Does each planted mistake fail both the visible and the hidden check, with its diagnosis or status?

    A contract slip with right numbers (a `# points-lost: 1` header) passes with SLIP_COST points off.
    """
    monkeypatch.setattr("graders.engine.judging.CALL_TIME_LIMIT_S", 0.5)  # the endless loop need not take 5 s here
    result = run_check(task, _load(path, task), level, assignment)
    if expect == "passed":
        assert result.passed and result.points_lost == points_lost, result.message
        assert points_lost in (0, SLIP_COST)
        return
    assert not result.passed
    # The grader reads a cell that does not parse as a syntax error (graders/engine/notebook.py); the visible check, run in
    # the student's kernel, where Python shows its own SyntaxError under the cell, finds no function.
    wanted = {"syntax_error": "missing"}.get(expect, expect)
    assert wanted in (result.diagnosis, result.status), result.message
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in result.message
        assert DIAGNOSES[expect].fix in result.message
    if expect == "wrong":  # a mistake the catalogue does not hold: the honest answer, never the nearest story
        assert result.diagnosis is None and "No known mistake matches" in result.message, result.message
        assert "max |error|" in result.message
    assert result.message.startswith(f"{task}:")
    if expect == "timeout":
        assert result.runtime_s < 3


def test_every_diagnosis_is_planted_or_spied():
    """Is every wrong formula's diagnosis exercised by a planted submission (or by the sampler's spy)?"""
    planted = {p.values[3] for p in _planted()}
    spy_or_exception_only = {"reverse_order", "stops_early", "repeated_model_calls", "broadcast", "leading_spacing",
                             "linspace_spacing", "trailing_without_minus_one", "ddim_ascending"}
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructor_solution_passes_every_check(assignment):
    """Does the notebook's own solution pass every check at both levels, far inside the tolerance?"""
    for level in ("sanity", "full"):
        results = run_checks(_solution_functions(assignment), level, assignment)
        for name, result in results.items():
            assert result.passed, result.message
            assert result.max_rel_error < result.tolerance / 10, (name, result.max_rel_error)
            assert result.points_lost == 0 and result.notes == [], (name, result.notes)


def test_failure_message_has_the_four_parts():
    """Does a failure say what was checked, the smallest failing case, the measured error and the likely mistake?"""
    path = CORE / "q_sample__missing_sqrt.py"
    result = check_q_sample(_load(path, "q_sample"))
    lines = result.message.splitlines()
    assert lines[0].startswith("q_sample: checked against eq. 4 on 27 seeded batches")
    assert lines[1].startswith("Smallest failing case: shape (1, 2)")
    assert "max |error|" in lines[2] and "tolerance" in lines[2]
    assert lines[3].startswith("Likely mistake: A square root is missing")
    assert result.failing_case and result.max_abs_error > 0.01 and result.cases_failed >= 1


def test_result_is_plain_data_and_raises():
    """Is a CheckResult JSON-ready, and does raise_if_failed raise CheckFailed (an AssertionError) with the message?"""
    result = check_q_sample(_load(CORE / "q_sample__alpha_bar_wrap.py", "q_sample"), level="sanity")
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
    fn = _load(CORE / "sample_loop__noise_index.py", "sample_loop")
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_registry_matches_the_notebook(assignment):
    """Do the points and grade ids in the assignment's tasks match its notebook's test cells?"""
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(_notebook(assignment), as_version=4).cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    assert {g for g in cells if g.startswith("test_")} == {f"test_{n}_{k}" for n in tasks_of(assignment)
                                                             for k in ("sanity", "hidden")}
    for name, task in tasks_of(assignment).items():
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
    assert spy.calls == [[4, 4, 4], [2, 2, 2], [5, 5, 5]]
    with pytest.raises(TypeError):
        spy(x, torch.tensor([1.0, 1.0, 1.0]))


def test_check_catches_its_own_warnings(capfd):
    """Does a check keep the student's prints, stderr writes and warnings out of the cell's output?"""
    result = run_check("q_sample", _load(CORE / "robust__noisy_but_right.py", "q_sample"), "sanity")
    out, err = capfd.readouterr()
    assert result.passed and err == "" and "debug" not in out
    assert any("warned" in note for note in result.notes)


def test_input_modified_in_place_is_a_slip():
    """Does a function that overwrites its input, with right numbers, pass with one point off and a note saying so?

    Policy: an input changed in place is a contract slip, not a wrong answer (points_lost = SLIP_COST).
    """
    def in_place(x0, t, noise, alpha_bar):
        ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
        return x0.mul_(ab.sqrt()).add_((1 - ab).sqrt() * noise)

    result = check_q_sample(in_place, level="sanity")
    assert result.passed and result.points_lost == SLIP_COST == 1, result.message
    assert "in place" in result.message and any("x0" in n and "in place" in n for n in result.notes)


def _q_right(x0, t, noise, alpha_bar):
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))  # float64, as the schedule is
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def test_float64_for_float32_is_a_slip():
    """Do right numbers promoted to float64 for float32 inputs pass with one point off and a note naming the dtype?

    Policy: another float dtype with right numbers is a contract slip (points_lost = SLIP_COST).
    """
    result = check_q_sample(_q_right)  # float64 ᾱ promotes the float32 cases; the float64 ones stay right
    assert result.passed and result.points_lost == SLIP_COST == 1, result.message
    assert any("float64 for float32" in n for n in result.notes), result.notes
    assert "float64 for float32" in result.message


def test_numpy_array_is_a_slip():
    """Does a NumPy array holding the right numbers pass with one point off and a note saying to convert it?

    Policy: a NumPy array with right numbers is a contract slip (points_lost = SLIP_COST).
    """
    def as_numpy(x0, x_t, t, betas):
        alphas = 1 - betas
        ab = torch.cumprod(alphas, 0)
        ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
        shape = (-1, *[1] * (x0.dim() - 1))
        c0 = (ab_prev.sqrt() * betas / (1 - ab))[t].reshape(shape).to(x0.dtype)
        ct = (alphas.sqrt() * (1 - ab_prev) / (1 - ab))[t].reshape(shape).to(x0.dtype)
        return (c0 * x0 + ct * x_t).numpy()

    result = check_posterior_mean(as_numpy)
    assert result.passed and result.points_lost == SLIP_COST, result.message
    assert any("NumPy array" in n for n in result.notes), result.notes


def test_python_number_is_a_slip_but_nan_is_not():
    """Does a Python float holding the right loss pass with one point off, while a NaN float fails?

    Policy: a Python number instead of a 0-d tensor is a contract slip (points_lost = SLIP_COST); NaN is no number.
    """
    def loss(model, x0, t, noise, alpha_bar):
        ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
        return ((noise - model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t)) ** 2).mean()

    result = check_eps_loss(lambda *args: loss(*args).item())
    assert result.passed and result.points_lost == SLIP_COST, result.message
    assert any(".item()" in n for n in result.notes), result.notes
    nan = check_eps_loss(lambda *args: float("nan"), level="sanity")
    assert not nan.passed and nan.status == "bad_output" and "NaN" in nan.message


def test_wrong_dtype_and_wrong_numbers_fails():
    """Does a promoted dtype excuse nothing when the numbers are wrong too: the check fails as `wrong`?"""
    def promoted_and_wrong(x0, t, noise, alpha_bar):
        ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))  # float64
        return ab * x0 + (1 - ab) * noise  # square roots missing

    result = check_q_sample(promoted_and_wrong)
    assert not result.passed and result.status == "wrong" and result.diagnosis == "missing_sqrt", result.message
    assert result.points_lost == 0


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

    import graders.engine.tasks.ddpm_core as ddpm_core

    real = ddpm_core.reference.diffuse

    def warning_q_sample(*args):
        warnings.warn("reference says hello")
        return real(*args)

    monkeypatch.setattr(ddpm_core.reference, "diffuse", warning_q_sample)
    result = check_q_sample(_solution_functions()["q_sample"], level="sanity")
    assert result.passed and capfd.readouterr().err == ""
    assert any("reference says hello" in note for note in result.notes)
    assert isinstance(result, CheckResult)


def test_every_diagnosis_page_is_a_page_of_the_lab():
    """Does each diagnosis that names a page name one the lab's router (streamlit_app.py) really has, and does the
    feedback say so?"""
    titles = set(re.findall(r'title="([^"]+)"', (ROOT / "streamlit_app.py").read_text()))
    pages = {d.page for d in DIAGNOSES.values() if d.page}
    assert pages and pages <= titles, pages - titles
    result = check_q_sample(_load(CORE / "q_sample__alpha_bar_wrap.py", "q_sample"))
    assert "The lab's Schedule design page shows this idea." in result.message
