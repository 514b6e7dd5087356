"""Grades as Canvas's gradebook CSV import takes them:

    nbgrader export --exporter=graders.nbgrader.export.canvas.CanvasExport --to canvas.csv

Canvas's format, as Ohio State's Canvas guide "Import CSV File for Carmen Grades" documents it
(https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades)
and as Canvas's own gradebook export writes it (https://nemogb-dev.github.io/nemogb-r/articles/
detailed-canvas-export-info.html): the columns Student ("Last, First"), ID (Canvas's user id), SIS User ID, SIS
Login ID, Section, then one column per assignment headed "<name> (<Canvas assignment id>)". Canvas finds a student
by one of Student, ID or SIS User ID; here ID is the roster's lms_user_id and SIS User ID the nbgrader student id.
A column whose header names no existing Canvas assignment makes Canvas create a new one (Ohio State's guide), so each
assignment's Canvas id belongs in c.CanvasExport.assignment_ids; without one the header is the bare name, and
Canvas creates that assignment on import.

Canvas's import has no comment column (any other column becomes an assignment), so a student not graded or whose
notebook is unreadable gets an empty cell — "no grade yet" in Canvas, never 0 — and the reason in nbgrader's log.
"""
from __future__ import annotations

from traitlets import Dict

from .plugin import GradeExport, cell
from .rows import GradeRow

STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class CanvasExport(GradeExport):
    """One row per student, one column per assignment, in Canvas's gradebook import format (see the module doc)."""

    default_file = "canvas.csv"
    assignment_ids = Dict(help="Canvas's id of each nbgrader assignment, e.g. {'ddpm_core': 4321}: the number in "
                               "the assignment's Canvas URL (/courses/<course>/assignments/<id>).").tag(config=True)

    def header(self, assignment: str) -> str:
        canvas_id = self.assignment_ids.get(assignment)
        return f"{assignment} ({canvas_id})" if canvas_id is not None else assignment

    def table(self, rows: list[GradeRow]) -> list[list[str]]:
        assignments = list(dict.fromkeys(r.assignment for r in rows))
        students = {r.student.id: r.student for r in rows}
        score = {(r.student.id, r.assignment): r.score for r in rows}
        return [STUDENT_COLUMNS + [self.header(a) for a in assignments]] + [
            [f"{s.last_name}, {s.first_name}" if s.last_name or s.first_name else s.id, s.lms_user_id, s.id, "", ""]
            + [cell(score[s.id, a]) for a in assignments]
            for s in students.values()]
