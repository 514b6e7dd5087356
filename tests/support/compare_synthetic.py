"""A synthetic class for the TA report: StudentRuns built from a seeded mix of outcomes, with no notebook graded.

    course = synthetic_course(300)   # course.runs, course.names, course.outcome[(student, assignment, task)]

The report reads only StudentRuns (graders/engine/results.py), so a 300-student class costs a second here instead of hours
of grading. Each task's outcome is drawn with OUTCOMES' weights; `outcome` keeps what was drawn, so that tests can
work out every total, count and filter from the draw itself rather than from the report's own code. One student's
name and one message carry markup, which the page must show as text.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from graders.engine.diagnoses import WRONG
from graders.engine.results import CheckResult, StudentRun
from graders.engine.tasks import tasks_of

ASSIGNMENTS = ("ddpm_core", "ddpm_beyond")
# outcome -> weight; "diagnosed" is a wrong formula with a known mistake, "slip" a pass that costs a point
OUTCOMES = {"passed": 55, "slip": 5, "diagnosed": 15, "wrong": 3, "error": 5, "not_attempted": 8,
            "syntax_error": 3, "timeout": 2, "bad_output": 2, "missing": 2}
NOT_GRADED_SHARE = 0.01  # of students × assignments: the machinery's fault, every task not graded
SKIPPED_SHARE = 0.03  # of students who submitted no ddpm_beyond
HOSTILE_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Mallory'
HOSTILE_MESSAGE = '<script>window.__pwned = 3</script>'


@dataclass
class Drawn:
    """What one task of one student was drawn to be: the status, diagnosis key and points (what a TA should see)."""

    status: str
    diagnosis: str | None
    points: int


@dataclass
class Course:
    runs: list[StudentRun]
    names: dict[str, str]
    outcome: dict[tuple[str, str, str], Drawn] = field(default_factory=dict)  # (student, assignment, task)
    not_graded: set[tuple[str, str]] = field(default_factory=set)  # (student, assignment)

    def total(self, student: str, assignment: str) -> int:
        return sum(d.points for (s, a, _), d in self.outcome.items() if (s, a) == (student, assignment))


def _result(task: str, points: int, drawn: str, rng: random.Random) -> tuple[dict, Drawn]:
    """A CheckResult as to_dict() gives it, shaped as the engine makes one of that outcome, and what was drawn."""
    def result(passed, status, message, **kw):
        return CheckResult(task, "full", passed, status, message, runtime_s=rng.uniform(0.01, 2), **kw).to_dict()

    if drawn in ("passed", "slip"):
        lost = 1 if drawn == "slip" else 0
        return (result(True, "passed", f"{task}: passed all 12 cases (max |error| 1e-15).", points_lost=lost,
                       max_abs_error=1e-15, max_rel_error=1e-15, notes=["returned float64"] * lost),
                Drawn("passed", None, points - lost))
    if drawn == "diagnosed":
        key = rng.choice(sorted(WRONG[task]))
        return (result(False, "wrong", f"{task}: checked …\nLikely mistake: {key}.", diagnosis=key,
                       max_abs_error=0.3, max_rel_error=0.2), Drawn("wrong", key, 0))
    message = {"wrong": f"{task}: checked …\nNo known mistake matches.",
               "error": f"{task}: checked …\n{task} raised ZeroDivisionError: division by zero",
               "not_attempted": f"{task}: not attempted: it raised NotImplementedError on its first case.",
               "syntax_error": f"{task}: syntax error in cell 5 ({task}), line 3: invalid syntax.",
               "timeout": f"{task}: checked …\n{task} did not return within 5 s.",
               "bad_output": f"{task}: checked …\n{task} returned shape (3,); expected (4, 2)",
               "missing": f"{task}: not a function (got int); run its cell first."}[drawn]
    return result(False, drawn, message), Drawn(drawn, None, 0)


def synthetic_course(n: int = 300, seed: int = 0) -> Course:
    """`n` students (s000, s001, …) on both assignments; see the module doc."""
    rng = random.Random(seed)
    kinds, weights = list(OUTCOMES), list(OUTCOMES.values())
    course = Course([], {f"s{i:03d}": f"Student {i:03d} {rng.choice(['Ada', 'Bo', 'Cy', 'Dee'])}" for i in range(n)})
    course.names["s007"] = HOSTILE_NAME
    for student in course.names:
        for assignment in ASSIGNMENTS:
            if assignment == "ddpm_beyond" and rng.random() < SKIPPED_SHARE:
                continue
            run = StudentRun(student, f"submitted/{student}/{assignment}/{assignment}.ipynb", assignment,
                             solution_cells={}, processes=1, runtime_s=rng.uniform(2, 6))
            if rng.random() < NOT_GRADED_SHARE:
                course.not_graded.add((student, assignment))
                run.notes = ["not graded: no sandbox user free"]
                run.results = {t: CheckResult(t, "full", False, "not_graded", f"{t}: not graded: no sandbox user "
                                              f"free").to_dict() for t in tasks_of(assignment)}
                for task in tasks_of(assignment):
                    course.outcome[(student, assignment, task)] = Drawn("not_graded", None, 0)
            else:
                for task, spec in tasks_of(assignment).items():
                    run.results[task], course.outcome[(student, assignment, task)] = _result(
                        task, spec.points, rng.choices(kinds, weights)[0], rng)
            course.runs.append(run)
    hostile = next(r for r in course.runs if r.student == "s011" and r.assignment == "ddpm_core")
    hostile.results["q_sample"]["message"] += "\n" + HOSTILE_MESSAGE
    hostile.notes.append(HOSTILE_MESSAGE)
    return course
