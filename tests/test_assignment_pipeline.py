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

import html
import re
import time
from pathlib import Path

import pytest

from course import (ASSIGNMENT, ROOT, TASKS, TOTAL, cell_scores, exported_scores, new_course, run_nbgrader,
                    write_submission)
from graders.diagnoses import DIAGNOSES

SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"

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


def points_lost(stem: str) -> int:
    """The points a passing planted file still loses for a contract slip (its `# points-lost: N` header)."""
    found = re.search(r"^# points-lost: (\d+)", (SUBMISSIONS / f"{stem}.py").read_text(), re.M)
    return int(found.group(1)) if found else 0


def task_score(task: str, expect: str, stem: str) -> int:
    """What a planted file's task should score: its points less any slip if it passes, else 0."""
    return TASKS[task].points - points_lost(stem) if expect == "passed" else 0


def student_of() -> dict[str, str]:
    """file stem -> the student id whose submission carries it: the i-th file of each task goes to planted-i."""
    by_task: dict[str, list[str]] = {}
    for stem, (task, _, _) in planted().items():
        by_task.setdefault(task, []).append(stem)
    return {stem: f"planted-{i:02d}" for stems in by_task.values() for i, stem in enumerate(stems)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    release, solutions = new_course(course)

    expected = {"instructor": TOTAL, "untouched": 0.0}
    write_submission(course, "instructor", release, solutions)
    write_submission(course, "untouched", release, None)
    cells: dict[str, dict[str, str]] = {}
    for stem, student in student_of().items():
        task, expect, source = planted()[stem]
        cells.setdefault(student, dict(solutions))[task] = source
        expected[student] = expected.get(student, TOTAL) - TASKS[task].points + task_score(task, expect, stem)
    for student, student_cells in cells.items():
        write_submission(course, student, release, student_cells)

    start = time.perf_counter()
    run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
    autograde_s = time.perf_counter() - start
    run_nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    run_nbgrader("export", cwd=course)
    print(f"autograde: {len(expected)} submissions in {autograde_s:.0f} s ({autograde_s / len(expected):.1f} s each)")
    return course, expected


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
    assert got == task_score(task, expect, stem), f"{stem} in {student}: {task} scored {got}"
    assert sum(scores.values()) == expected[student], f"{student} lost points beyond its planted tasks"
    text = feedback_text(course, student)
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in text, f"{student}: feedback does not name {expect}"
    elif expect == "integrity":
        assert "integrity" in text and "this task scores 0" in text
    elif expect in ("timeout", "memory", "exit", "bad_output", "wrong"):
        assert f"{task}:" in text and "Smallest failing case" in text
    elif expect == "missing":  # the solution cell failed, so the grader finds no function
        assert f"{task}: not a function" in text and "SyntaxError" in text
    elif points_lost(stem):
        assert "takes 1 point off" in text


def test_export_csv_has_every_score(graded):
    """Does `nbgrader export` write each student's total to the CSV?"""
    course, expected = graded
    assert exported_scores(course) == {student: (total, TOTAL) for student, total in expected.items()}


def test_feedback_written_for_every_student(graded):
    """Is there a feedback page for every submission, with the check's explanation in it?"""
    course, expected = graded
    for student in expected:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file(), student
    assert "passed all" in feedback_text(course, "instructor")
