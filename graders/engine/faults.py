"""Faults of the grading machinery, which are never a student's grade.

A sandbox killed from outside, a host out of memory, no sandbox user free, an exception in the engine, an
instructor's solution (the canary) that does not get full marks: the grading raises GradingFault, and each front
end reports the student as *not graded*, with the reason, and exits non-zero (graders/nbgrader/grade.py,
graders/batch/autograde.py, graders/compare/). Nothing is scored for that student, so nothing blames their code.
"""
from __future__ import annotations

from pathlib import Path

NOT_GRADED = "not_graded"  # the course folder's record of students not graded, and why: <student>/<assignment>.txt


class GradingFault(RuntimeError):
    """The grading could not be done for a reason that is not the submission's; str(fault) says why."""


def not_graded_record(course: Path, student: str, assignment: str) -> Path:
    """Where the course folder keeps why `student`'s `assignment` was not graded (absent once it is)."""
    return Path(course) / NOT_GRADED / student / f"{assignment}.txt"
