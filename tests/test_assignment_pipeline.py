"""Does the nbgrader course grade real submissions as intended, end to end?

Copies assignments/ to a temporary course, runs `nbgrader generate_assignment`, writes the submissions (the
instructor's solution, the untouched release, and the planted mistakes of tests/graders/submissions/), then runs
the real `nbgrader autograde` (all submissions in one call), `generate_feedback` and `export`, and reads the
gradebook, the feedback HTML and the CSV.

Tasks are graded independently, so to keep the run near three minutes on two cores each planted submission
carries one planted file per task (at most four mistakes, in different tasks): the i-th file of every task goes
into submission i. Each planted file is still checked on its own: its task, and only its task, loses its points,
and the feedback names its mistake.
"""
from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from graders.checks import TASKS
from graders.diagnoses import DIAGNOSES

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"
ASSIGNMENT = "ddpm_core"
TOTAL = sum(task.points for task in TASKS.values())

pytestmark = pytest.mark.slow


def planted() -> dict[str, tuple[str, str, str]]:
    """file stem -> (task, expected diagnosis key or status, cell source), one per planted file."""
    out = {}
    for path in sorted(SUBMISSIONS.glob("*.py")):
        source = path.read_text()
        task = re.search(r"^# task: (\w+)", source, re.M).group(1)
        expect = re.search(r"^# expect(?:-status)?: (\w+)", source, re.M).group(1)
        out[path.stem] = (task, expect, source)
    return out


def student_of() -> dict[str, str]:
    """file stem -> the student id whose submission carries it: the i-th file of each task goes to planted-i."""
    by_task: dict[str, list[str]] = {}
    for stem, (task, _, _) in planted().items():
        by_task.setdefault(task, []).append(stem)
    return {stem: f"planted-{i:02d}" for stems in by_task.values() for i, stem in enumerate(stems)}


def run_nbgrader(*args: str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def solution_sources(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's code of each solution cell, marker lines removed."""
    out = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines() if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


def write_submission(course: Path, student: str, release: nbformat.NotebookNode, cells: dict[str, str] | None) -> None:
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cells is not None and grade_id in cells:
            cell.source = cells[grade_id]
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    run_nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = solution_sources(nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))

    expected = {"instructor": TOTAL, "untouched": 0.0}
    write_submission(course, "instructor", release, solutions)
    write_submission(course, "untouched", release, None)
    cells: dict[str, dict[str, str]] = {}
    for stem, student in student_of().items():
        task, expect, source = planted()[stem]
        cells.setdefault(student, dict(solutions))[task] = source
        expected[student] = expected.get(student, TOTAL) - (0 if expect == "passed" else TASKS[task].points)
    for student, student_cells in cells.items():
        write_submission(course, student, release, student_cells)

    start = time.perf_counter()
    run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
    autograde_s = time.perf_counter() - start
    run_nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    run_nbgrader("export", cwd=course)
    print(f"autograde: {len(expected)} submissions in {autograde_s:.0f} s ({autograde_s / len(expected):.1f} s each)")
    return course, expected


def cell_scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {grade.name: grade.score for grade in nb.grades}


def feedback_text(course: Path, student: str) -> str:
    raw = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_instructor_solution_gets_full_marks(graded):
    """Does the instructor's own solution score every point, cell by cell?"""
    course, _ = graded
    scores = cell_scores(course, "instructor")
    for name, task in TASKS.items():
        assert scores[f"test_{name}_sanity"] == task.points_sanity, name
        assert scores[f"test_{name}_hidden"] == task.points_hidden, name
    assert sum(scores.values()) == TOTAL


def test_untouched_release_scores_zero(graded):
    """Does the untouched release autograde without crashing and score 0?"""
    course, _ = graded
    scores = cell_scores(course, "untouched")
    assert len(scores) == 2 * len(TASKS)
    assert sum(scores.values()) == 0


@pytest.mark.parametrize("stem", sorted(planted()))
def test_planted_mistake_costs_exactly_its_task(graded, stem):
    """Does each planted mistake lose exactly its own task's points, and does the feedback name it?"""
    course, expected = graded
    task, expect, _ = planted()[stem]
    student = student_of()[stem]
    scores = cell_scores(course, student)
    got = scores[f"test_{task}_sanity"] + scores[f"test_{task}_hidden"]
    assert got == (TASKS[task].points if expect == "passed" else 0), f"{stem} in {student}: {task} scored {got}"
    assert sum(scores.values()) == expected[student], f"{student} lost points beyond its planted tasks"
    text = feedback_text(course, student)
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in text, f"{student}: feedback does not name {expect}"
    elif expect == "integrity":
        assert "integrity" in text and "this task scores 0" in text
    elif expect in ("timeout", "memory", "exit", "bad_output"):
        assert f"{task}:" in text and "Smallest failing case" in text
    elif expect == "missing":  # the solution cell failed, so the test cells cannot find the function
        assert f"name '{task}' is not defined" in text


def test_export_csv_has_every_score(graded):
    """Does `nbgrader export` write each student's total to the CSV?"""
    course, expected = graded
    with open(course / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(expected)
    for student, total in expected.items():
        assert float(rows[student]["raw_score"]) == total, student
        assert float(rows[student]["max_score"]) == TOTAL


def test_feedback_written_for_every_student(graded):
    """Is there a feedback page for every submission, with the check's explanation in it?"""
    course, expected = graded
    for student in expected:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file(), student
    assert "passed all" in feedback_text(course, "instructor")
