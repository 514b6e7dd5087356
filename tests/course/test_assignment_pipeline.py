"""Does the nbgrader course grade real submissions as intended, end to end, for every assignment?

Copies assignments/ to a temporary course, runs `nbgrader generate_assignment`, writes the submissions (the
instructor's solution, the untouched release, and the planted mistakes of tests/graders/submissions/<assignment>/),
then runs the real `nbgrader autograde` (all submissions in one call), `generate_feedback` and `export`, and reads
the gradebook, the feedback HTML and the CSV.

Tasks are graded independently, so to keep the run short on two cores each planted submission carries one planted
file per task (at most four mistakes, in different tasks): the i-th file of every task goes into submission i, and a
file whose right code calls a wrong earlier function (`# upstream-from:`) goes in with the file holding that
function, whose feedback must blame it. Each planted file is still checked on its own: its task loses its points,
and the feedback names its mistake; no other task loses any, except one whose solution calls the planted function
(ddpm_beyond's ddim_sample calls ddim_step).
"""
from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

from course import ROOT, cell_scores, exported_scores, new_course, run_nbgrader, write_submission
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import ASSIGNMENTS, tasks_of
from planted import read

SUBMISSIONS = ROOT / "tests" / "graders" / "submissions"

pytestmark = pytest.mark.slow


def planted(assignment: str) -> dict[str, tuple[str, str, str]]:
    """file stem -> (task, expected diagnosis key or status, cell source), one per planted file of `assignment`."""
    out = {}
    for path in sorted((SUBMISSIONS / assignment).glob("*.py")):
        source = path.read_text()
        task = re.search(r"^# task: (\w+)", source, re.M).group(1)
        expect = re.search(r"^# expect(?:-status)?: (\w+)", source, re.M).group(1)
        out[path.stem] = (task, expect, source)
    return out


def points_lost(assignment: str, stem: str) -> int:
    """The points a passing planted file still loses for a contract slip (its `# points-lost: N` header)."""
    found = re.search(r"^# points-lost: (\d+)", (SUBMISSIONS / assignment / f"{stem}.py").read_text(), re.M)
    return int(found.group(1)) if found else 0


def task_score(assignment: str, task: str, expect: str, stem: str) -> int:
    """What a planted file's task should score: its points less any slip if it passes, else 0."""
    return tasks_of(assignment)[task].points - points_lost(assignment, stem) if expect == "passed" else 0


# Planted students per assignment through the real nbgrader; None: all. ddpm_core's files include the robustness
# cases (exits, endless loops, syntax errors), which only the whole pipeline meets; ddpm_beyond's are wrong formulas,
# whose every diagnosis tests/test_graders_checks.py checks at both levels, so four students stand for them here:
# every task planted, and both chains of upstream blame (a right ddim_sample calling a wrong ddim_step; a right
# sample_latent calling a wrong ddim_sample).
PLANTED_STUDENTS = {"ddpm_core": None, "ddpm_beyond": 4}


def upstream_of(assignment: str, stem: str) -> str | None:
    """The planted file whose wrong function a planted file's own (right) code calls (tests/planted.py)."""
    return read(SUBMISSIONS / assignment / f"{stem}.py").upstream


def student_of(assignment: str) -> dict[str, str]:
    """file stem -> the student id whose submission carries it. Task by task in notebook order, a file with an
    `# upstream-from:` header goes to the submission carrying that file (its earlier task's cell holds the wrong
    function it calls); the other files of the task take the remaining submissions in order, planted-00 first."""
    by_task: dict[str, list[str]] = {}
    for stem, (task, _, _) in planted(assignment).items():
        by_task.setdefault(task, []).append(stem)
    counts = [len([s for s in stems if not upstream_of(assignment, s)]) for stems in by_task.values()]
    slots = min(max(counts), PLANTED_STUDENTS[assignment] or max(counts))
    slot: dict[str, int] = {}
    for task in tasks_of(assignment):
        stems = by_task.get(task, [])
        chained = {s: slot[upstream_of(assignment, s)] for s in stems if upstream_of(assignment, s)}
        free = [i for i in range(slots) if i not in chained.values()]
        slot |= chained | dict(zip([s for s in stems if s not in chained], free))
    return {stem: f"planted-{i:02d}" for stem, i in slot.items()}


def total(assignment: str) -> int:
    return sum(task.points for task in tasks_of(assignment).values())


def uses(solutions: dict[str, str], assignment: str) -> dict[str, set[str]]:
    """task -> the other tasks whose functions its solution cell calls, directly or not (ddpm_beyond's ddim_sample
    calls ddim_step): a planted mistake in one of those costs the task too, as the notebook tells students."""
    tasks = list(tasks_of(assignment))
    direct = {t: {u for u in tasks if u != t and re.search(rf"\b{u}\(", solutions[t])} for t in tasks}
    closed = {t: set(direct[t]) for t in tasks}
    for _ in tasks:
        closed = {t: closed[t] | {w for u in closed[t] for w in closed[u]} for t in tasks}
    return closed


def expected_score(assignment: str, solutions: dict[str, str], carried: dict[str, str]) -> float:
    """A planted student's total: each planted task scores task_score, a task whose solution calls a planted task
    that fails scores 0, every other task full marks. carried: task -> planted file stem."""
    failing = {task for task, stem in carried.items() if planted(assignment)[stem][1] != "passed"}
    score = 0.0
    for name, task in tasks_of(assignment).items():
        if name in carried:
            score += task_score(assignment, name, planted(assignment)[carried[name]][1], carried[name])
        elif not uses(solutions, assignment)[name] & failing:
            score += task.points
    return score


def grade(course: Path, assignment: str) -> dict[str, float]:
    """Write every submission of `assignment` into `course`, autograde, feedback, export; student -> expected score."""
    release, solutions = new_course(course, assignment=assignment)
    expected = {"instructor": total(assignment), "untouched": 0.0}
    write_submission(course, "instructor", release, solutions, assignment)
    write_submission(course, "untouched", release, None, assignment)
    carried: dict[str, dict[str, str]] = {}
    for stem, student in student_of(assignment).items():
        carried.setdefault(student, {})[planted(assignment)[stem][0]] = stem
    for student, stems in carried.items():
        cells = {**solutions, **{task: planted(assignment)[stem][2] for task, stem in stems.items()}}
        write_submission(course, student, release, cells, assignment)
        expected[student] = expected_score(assignment, solutions, stems)

    start = time.perf_counter()
    run_nbgrader("autograde", assignment, "--create", cwd=course)
    autograde_s = time.perf_counter() - start
    run_nbgrader("generate_feedback", assignment, cwd=course)
    run_nbgrader("export", cwd=course)
    print(f"autograde {assignment}: {len(expected)} submissions in {autograde_s:.0f} s "
          f"({autograde_s / len(expected):.1f} s each)")
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """assignment -> (course, student -> expected score), each assignment graded once, on first use."""
    done: dict[str, tuple[Path, dict[str, float]]] = {}

    def get(assignment: str) -> tuple[Path, dict[str, float]]:
        if assignment not in done:
            course = tmp_path_factory.mktemp(assignment)
            done[assignment] = course, grade(course, assignment)
        return done[assignment]
    return get


def feedback_text(course: Path, assignment: str, student: str) -> str:
    raw = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_instructor_solution_gets_full_marks(graded, assignment):
    """Does the instructor's own solution score every point, cell by cell?"""
    course, _ = graded(assignment)
    scores = cell_scores(course, "instructor", assignment)
    for name, task in tasks_of(assignment).items():
        assert scores[f"test_{name}_sanity"] == task.points_sanity, name
        assert scores[f"test_{name}_hidden"] == task.points_hidden, name
    assert sum(scores.values()) == total(assignment)


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_untouched_release_scores_zero(graded, assignment):
    """Does the untouched release autograde without crashing and score 0?"""
    course, _ = graded(assignment)
    scores = cell_scores(course, "untouched", assignment)
    assert len(scores) == 2 * len(tasks_of(assignment))
    assert sum(scores.values()) == 0


@pytest.mark.parametrize("assignment, stem", [(a, stem) for a in ASSIGNMENTS for stem in sorted(student_of(a))],
                         ids=lambda v: v)
def test_planted_mistake_costs_exactly_its_task(graded, assignment, stem):
    """Does each planted mistake lose exactly its own task's points, and does the feedback name it?"""
    course, expected = graded(assignment)
    task, expect, _ = planted(assignment)[stem]
    student = student_of(assignment)[stem]
    scores = cell_scores(course, student, assignment)
    got = scores[f"test_{task}_sanity"] + scores[f"test_{task}_hidden"]
    assert got == task_score(assignment, task, expect, stem), f"{stem} in {student}: {task} scored {got}"
    assert sum(scores.values()) == expected[student], f"{student} lost points beyond its planted tasks (and theirs)"
    text = feedback_text(course, assignment, student)
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in text, f"{student}: feedback does not name {expect}"
    elif expect == "integrity":
        assert "integrity" in text and "this task scores 0" in text
    elif expect in ("timeout", "memory", "exit", "bad_output", "wrong"):
        assert f"{task}:" in text and "Smallest failing case" in text
        if expect == "wrong":  # no catalogued mistake: the honest answer, never the nearest story
            assert "No known mistake matches" in text
    elif expect == "syntax_error":  # the solution cell does not parse, so the grader finds no function
        source = planted(assignment)[stem][2]
        line = 1 + next(i for i, ln in enumerate(source.splitlines()) if ln.startswith("def "))
        assert f"{task}: syntax error in cell" in text and f", line {line}: " in text
    elif points_lost(assignment, stem):
        assert "takes 1 point off" in text


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_export_csv_has_every_score(graded, assignment):
    """Does `nbgrader export` write each student's total to the CSV?"""
    course, expected = graded(assignment)
    assert exported_scores(course) == {student: (score, total(assignment)) for student, score in expected.items()}


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_feedback_written_for_every_student(graded, assignment):
    """Is there a feedback page for every submission, with the check's explanation in it?"""
    course, expected = graded(assignment)
    for student in expected:
        assert (course / "feedback" / student / assignment / f"{assignment}.html").is_file(), student
    assert "passed all" in feedback_text(course, assignment, "instructor")
