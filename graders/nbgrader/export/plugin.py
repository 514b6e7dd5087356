"""The nbgrader export plugin every exporter of this package is: rows from graders/nbgrader/export/rows.py, a CSV out.

`nbgrader export --exporter=graders.nbgrader.export.<module>.<Class> --to FILE` (assignments/nbgrader_config.py sets the
default); nbgrader's --assignment and --student options narrow the rows.
"""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin

from .rows import GradeRow, grade_rows


class GradeExport(ExportPlugin):
    """Writes the course's grade rows as a CSV whose layout the subclass's `table` decides."""

    default_file = "grades.csv"

    def table(self, rows: list[GradeRow]) -> list[list[str]]:
        """The CSV's lines, header first."""
        raise NotImplementedError

    def export(self, gradebook) -> None:
        dest = Path(self.to or self.default_file)
        course = Path(CourseDirectory(parent=self).root)
        rows = grade_rows(gradebook, course, [str(s) for s in self.student], [str(a) for a in self.assignment])
        for row in rows:
            if row.score is None:  # an LMS shows these as "no grade yet": say why here, as some formats cannot
                self.log.warning("%s, %s: exported with no score (%s)", row.student.id, row.assignment, row.flag)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(self.table(rows))
        self.log.info("Exported %d grades (%d with no score) to %s", len(rows),
                      sum(r.score is None for r in rows), dest)


def cell(value: float | None) -> str:
    """A score as a CSV cell: "" for no score, never "0"."""
    return "" if value is None else f"{value:g}"

