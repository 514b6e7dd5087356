"""The course's default `nbgrader export`: nbgrader's CSV columns, plus `not_graded` saying why a score is empty.

nbgrader's own CSV writes 0 for a student with no graded submission; here a student not graded (a fault of the
grading machinery) or whose notebook could not be read gets an empty score and the reason in `not_graded`
("unreadable: …" for the latter). A student who handed nothing in keeps nbgrader's 0.
"""
from __future__ import annotations

from .plugin import GradeExport, cell
from .rows import NO_SUBMISSION, GradeRow

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score", "not_graded"]


class CourseCsvExport(GradeExport):
    """nbgrader's CSV export plus a `not_graded` column; a not-graded or unreadable student's scores are empty."""

    def table(self, rows: list[GradeRow]) -> list[list[str]]:
        return [COLUMNS] + [
            [r.assignment, str(r.duedate or ""), str(r.timestamp or ""), r.student.id, r.student.last_name,
             r.student.first_name, r.student.email, cell(r.raw_score), cell(r.late_penalty), cell(r.score),
             cell(r.max_score), "" if r.flag == NO_SUBMISSION else r.flag]
            for r in rows]
