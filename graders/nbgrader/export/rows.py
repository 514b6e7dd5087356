"""What every grade export writes, decided once: which students, which score, and why a score is missing.

Each exporter of this package (course_csv, canvas, moodle) only lays these rows out in its format. A row's `score` is
None, never 0, for a student the grading machinery could not grade or whose notebook could not be read (their reason,
`flag`, comes from the course's not_graded/<student>/<assignment>.txt: graders/engine/faults.py, written by
graders/nbgrader/grade.py and graders/nbgrader/submission_files.py), and for a submission nbgrader never wrote a score
into even where no record says why. nbgrader's own CSV export writes 0 for both, the same as for a blank notebook, so an
LMS would record a grade nobody gave.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from ...engine.faults import not_graded_record
from ..unreadable import UNREADABLE

NO_SUBMISSION = "no submission"  # nbgrader's 0: the student handed nothing in


@dataclass(frozen=True)
class Student:
    """A student of the gradebook, as the roster (`nbgrader db student import`) named them."""

    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str


@dataclass(frozen=True)
class GradeRow:
    """One student's grade of one assignment, as every export shows it.

    duedate: the student's own (nbgrader's per-student extension included, if any); timestamp: when they handed in.
    raw_score, late_penalty, score: None when there is no grade to give (see `flag`); score = raw_score less the
    late penalty, never below 0 (nbgrader's rule).
    flag: why there is no score ("not graded: …", "unreadable: …"), NO_SUBMISSION (score 0), or "" for a grade.
    """

    assignment: str
    max_score: float
    duedate: datetime | None
    timestamp: datetime | None
    student: Student
    raw_score: float | None
    late_penalty: float | None
    score: float | None
    flag: str

    @property
    def days_late(self) -> int:
        """Started days past the due date (0 if on time, or if either time is unknown)."""
        if self.duedate is None or self.timestamp is None or self.timestamp <= self.duedate:
            return 0
        return math.ceil((self.timestamp - self.duedate).total_seconds() / 86400)

    @property
    def note(self) -> str:
        """A line for an LMS's comment or feedback column: the flag, or the late penalty taken."""
        if self.flag:
            return self.flag
        if self.late_penalty:
            return f"{self.days_late} day(s) late: {self.late_penalty:g} of {self.raw_score:g} points taken off"
        return ""


def flag_of(course: Path, student: str, assignment: str) -> str:
    """Why `student`'s `assignment` has no grade, from its not-graded record; "" if it has none."""
    record = not_graded_record(course, student, assignment)
    if not record.is_file():
        return ""
    why = record.read_text().strip() or "no reason recorded"
    return why if why.startswith(f"{UNREADABLE}:") else f"not graded: {why}"


def never_autograded(submission) -> bool:
    """Whether nbgrader made the submission's rows but wrote no score into them: its autograde failed there (a
    notebook it could not read, an error of its own) with no not-graded record to say so. nbgrader counts such a
    submission as 0; nobody gave that grade."""
    grades = [g for notebook in submission.notebooks for g in notebook.grades]
    return bool(grades) and all(g.auto_score is None and g.manual_score is None for g in grades)


def grade_rows(gradebook: Gradebook, course: Path, students=(), assignments=()) -> list[GradeRow]:
    """A row per assignment and student of the gradebook (only those named, if any), in the gradebook's order."""
    rows = []
    for assignment in gradebook.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for s in gradebook.students:
            if students and s.id not in students:
                continue
            student = Student(s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or "")
            flag = flag_of(course, s.id, assignment.name)
            try:
                submission = gradebook.find_submission(assignment.name, s.id)
            except MissingEntry:
                submission = None
            if not flag and submission is not None and never_autograded(submission):
                flag = "not graded: nbgrader did not autograde this submission (its autograde log says why)"
            if flag:
                raw = penalty = score = None
            elif submission is None:
                raw, penalty, score, flag = 0.0, 0.0, 0.0, NO_SUBMISSION
            else:
                raw, penalty = float(submission.score), float(submission.late_submission_penalty or 0.0)
                score = max(0.0, raw - penalty)
            duedate, timestamp = ((submission.duedate, submission.timestamp) if submission is not None
                                  else (assignment.duedate, None))
            rows.append(GradeRow(assignment.name, float(assignment.max_score), duedate, timestamp, student, raw,
                                 penalty, score, flag))
    return rows
