"""Does the nbgrader course grade real submissions as intended, end to end, for every assignment?

Copies assignments/ to a temporary course, runs `nbgrader generate_assignment`, writes the submissions (the
instructor's solution, the untouched release, and the planted mistakes of tests/graders/submissions/<assignment>/),
then runs the real `nbgrader autograde` (all submissions in one call), `generate_feedback` and `export`, and reads
the gradebook, the feedback HTML and the CSV.

Tasks are graded independently, so to keep the run short on two cores the planted files are packed: each planted
student carries at most one planted file per task (tests/support/compare_class.py, `pack`), so every planted file of both
assignments is graded in as many submissions as its largest task has files, and a file whose right code calls a
wrong earlier function (`# upstream-from:`) goes in with the file holding that function, whose feedback must blame
it. Each planted file is still checked on its own: its task loses its points, and its task's verdicts on the
feedback page name its mistake (tests/planted.py reads it from the file's header); no other task loses any, except
one whose solution calls the planted function (ddpm_beyond's ddim_sample calls ddim_step).
"""
from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

from compare_class import pack
from course import cell_scores, exported_scores, new_course, run_nbgrader, write_submission
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import ASSIGNMENTS, tasks_of
from planted import Planted
from planted import planted as read_planted

pytestmark = pytest.mark.slow


def planted(assignment: str) -> dict[str, Planted]:
    """file stem -> the planted file, one per file of tests/graders/submissions/<assignment>/."""
    return {p.stem: p for p in read_planted(assignment)}


def task_score(p: Planted) -> int:
    """What a planted file's task should score: its points less any slip (`# points-lost: N`) if it passes, else 0."""
    return tasks_of(p.assignment)[p.task].points - p.points_lost if p.expect == "passed" else 0


def student_of(assignment: str) -> dict[str, str]:
    """file stem -> the student id whose submission carries it: every planted file, packed (`pack`)."""
    return {stem: f"planted-{i:02d}" for stem, i in pack(assignment).items()}


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


def expected_score(assignment: str, solutions: dict[str, str], carried: dict[str, str]) -> tuple[float, set[str]]:
    """A planted student's total over all tasks but the dependent ones, and those: each planted task scores
    task_score, every unplanted task full marks, except a dependent one, whose solution calls a planted task that
    fails. That one scores 0 if the mistake shows on its own inputs and full marks if not (sample_latent calls
    ddim_sample at η = 0, where η's mistakes vanish). carried: task -> planted file stem."""
    files = planted(assignment)
    failing = {task for task, stem in carried.items() if files[stem].expect != "passed"}
    score, dependent = 0.0, set()
    for name, task in tasks_of(assignment).items():
        if name in carried:
            score += task_score(files[carried[name]])
        elif uses(solutions, assignment)[name] & failing:
            dependent.add(name)
        else:
            score += task.points
    return score, dependent


def grade(course: Path, assignment: str) -> dict[str, tuple[float, set[str]]]:
    """Write every submission of `assignment` into `course`, autograde, feedback, export; student -> expected score
    (of every task but the dependent ones) and dependent tasks (`expected_score`)."""
    release, solutions = new_course(course, assignment=assignment)
    expected = {"instructor": (total(assignment), set()), "untouched": (0.0, set())}
    write_submission(course, "instructor", release, solutions, assignment)
    write_submission(course, "untouched", release, None, assignment)
    files = planted(assignment)
    carried: dict[str, dict[str, str]] = {}
    for stem, student in student_of(assignment).items():
        carried.setdefault(student, {})[files[stem].task] = stem
    for student, stems in carried.items():
        cells = {**solutions, **{task: files[stem].path.read_text() for task, stem in stems.items()}}
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
    """assignment -> (course, student -> (expected score, dependent tasks)), each assignment graded once, on first
    use."""
    done: dict[str, tuple[Path, dict[str, tuple[float, set[str]]]]] = {}

    def get(assignment: str) -> tuple[Path, dict[str, tuple[float, set[str]]]]:
        if assignment not in done:
            course = tmp_path_factory.mktemp(assignment)
            done[assignment] = course, grade(course, assignment)
        return done[assignment]
    return get


def feedback_text(course: Path, assignment: str, student: str) -> str:
    raw = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def verdicts(course: Path, assignment: str, student: str) -> dict[str, str]:
    """task -> the text of its two test cells (visible check, hidden cases) on the student's feedback page: what the
    student reads about that task, apart from the other tasks'."""
    raw = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
    out: dict[str, str] = {}
    for cell in raw.split('<div class="cell ')[1:]:
        found = re.match(r'[^>]*id="cell-id=test_(\w+)_(?:sanity|hidden)"', cell)
        if found:
            out[found.group(1)] = out.get(found.group(1), "") + html.unescape(re.sub(r"<[^>]+>", "", cell))
    return out


def diagnosed(text: str) -> list[str]:
    """The catalogued mistakes that `text` names."""
    return [key for key, d in DIAGNOSES.items() if d.sentence in text]


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
    """Does each planted mistake lose exactly its own task's points, and does its task's feedback name it?"""
    course, expected = graded(assignment)
    p = planted(assignment)[stem]
    task, expect = p.task, p.expect
    student = student_of(assignment)[stem]
    scores = cell_scores(course, student, assignment)
    got = scores[f"test_{task}_sanity"] + scores[f"test_{task}_hidden"]
    assert got == task_score(p), f"{stem} in {student}: {task} scored {got}"
    sure, dependent = expected[student]
    kept = {t: scores[f"test_{t}_sanity"] + scores[f"test_{t}_hidden"] for t in dependent}
    assert sum(scores.values()) - sum(kept.values()) == sure, f"{student} lost points beyond its planted tasks"
    for t, score in kept.items():  # all or nothing, and nothing only with the function it calls blamed
        blamed = diagnosed(verdicts(course, assignment, student)[t])
        blames = {f"calls_wrong_{u}" for u in tasks_of(assignment)[t].upstream}
        assert score == tasks_of(assignment)[t].points or (score == 0 and blamed and set(blamed) <= blames), \
            f"{student}: {t}, which calls a planted function, scored {score} and names {blamed}"
    text = verdicts(course, assignment, student)[task]
    if expect in DIAGNOSES:
        assert DIAGNOSES[expect].sentence in text, f"{stem} in {student}: {task}'s feedback does not name {expect}"
        assert set(diagnosed(text)) == {expect}, f"{stem} in {student}: {task}'s feedback names {diagnosed(text)}"
    else:
        assert not diagnosed(text), f"{stem} in {student}: {task}'s feedback names {diagnosed(text)}, not {expect}"
    if expect == "integrity":
        assert "integrity" in text and "this task scores 0" in text
    elif expect in ("timeout", "memory", "exit", "bad_output", "wrong"):
        assert f"{task}:" in text and "Smallest failing case" in text
        if expect == "wrong":  # no catalogued mistake: the honest answer, never the nearest story
            assert "No known mistake matches" in text
    elif expect == "syntax_error":  # the solution cell does not parse, so the grader finds no function
        line = 1 + next(i for i, ln in enumerate(p.path.read_text().splitlines()) if ln.startswith("def "))
        assert f"{task}: syntax error in cell" in text and f", line {line}: " in text
    elif p.points_lost:
        assert "takes 1 point off" in text


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_honest_submissions_get_no_diagnosis(graded, assignment):
    """Does the feedback of the instructor's solution and of the untouched release name no mistake, task by task?"""
    course, _ = graded(assignment)
    for student in ("instructor", "untouched"):
        named = {task: diagnosed(text) for task, text in verdicts(course, assignment, student).items()}
        assert set(named) == set(tasks_of(assignment)), student
        assert not any(named.values()), f"{student}: {named}"


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_export_csv_has_every_score(graded, assignment):
    """Does `nbgrader export` write each student's total in the gradebook to the CSV?"""
    course, expected = graded(assignment)
    assert exported_scores(course) == {student: (sum(cell_scores(course, student, assignment).values()),
                                                 total(assignment)) for student in expected}


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_feedback_written_for_every_student(graded, assignment):
    """Is there a feedback page for every submission, with the check's explanation in it?"""
    course, expected = graded(assignment)
    for student in expected:
        assert (course / "feedback" / student / assignment / f"{assignment}.html").is_file(), student
    assert "passed all" in feedback_text(course, assignment, "instructor")
