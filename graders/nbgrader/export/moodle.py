"""Grades as Moodle's CSV grade import takes them:

    nbgrader export --exporter=graders.nbgrader.export.moodle.MoodleExport --to moodle.csv

Moodle's format (MoodleDocs, "Grade import", https://docs.moodle.org/311/en/Grade_import): a header row, a column
that identifies the user, and columns the teacher maps to grade items and their feedback on the import's preview
page. Here: "Email address" (map it to useremail; Moodle compares emails case-sensitively) and "ID number" (the
nbgrader student id, for useridnumber), then per assignment a column "<assignment>" with the score and a column
"<assignment> feedback" (map it to that grade item's feedback) saying why a score is empty, or what a late
submission lost. A student not graded or whose notebook is unreadable gets an empty grade, never 0.
"""
from __future__ import annotations

from .plugin import GradeExport, cell
from .rows import GradeRow

STUDENT_COLUMNS = ["Email address", "ID number"]


class MoodleExport(GradeExport):
    """One row per student; per assignment a grade and a feedback column, for Moodle's CSV grade import."""

    default_file = "moodle.csv"

    def table(self, rows: list[GradeRow]) -> list[list[str]]:
        assignments = list(dict.fromkeys(r.assignment for r in rows))
        students = {r.student.id: r.student for r in rows}
        by = {(r.student.id, r.assignment): r for r in rows}
        return [STUDENT_COLUMNS + [c for a in assignments for c in (a, f"{a} feedback")]] + [
            [s.email, s.id] + [c for a in assignments for c in (cell(by[s.id, a].score), by[s.id, a].note)]
            for s in students.values()]
