"""`nbgrader export` that tells a student not graded from a student who scored 0.

nbgrader's CSV export gives 0 points to every student without a graded submission. A student the grading machinery
could not grade (graders/faults.py; the reason kept in the course's not_graded/<student>/<assignment>.txt by
graders/nbgrader_grade.py) has no submission in the gradebook, so nbgrader would write 0 for them: this export
writes an empty score instead, and the reason in a `not_graded` column. assignments/nbgrader_config.py sets it as
c.ExportApp.plugin_class.
"""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import CsvExportPlugin

from .faults import not_graded_record


class CourseCsvExport(CsvExportPlugin):
    """nbgrader's CSV export plus a `not_graded` column; a not-graded student's scores are left empty."""

    def export(self, gradebook) -> None:
        super().export(gradebook)
        dest = Path(self.to or "grades.csv")
        course = CourseDirectory(parent=self).root
        with open(dest, newline="") as f:
            rows = list(csv.DictReader(f))
        fields = list(rows[0]) if rows else []
        for row in rows:
            record = not_graded_record(course, row["student_id"], row["assignment"])
            row["not_graded"] = record.read_text().strip() if record.is_file() else ""
            if row["not_graded"]:
                row["raw_score"] = row["late_submission_penalty"] = row["score"] = ""
        with open(dest, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields + ["not_graded"])
            writer.writeheader()
            writer.writerows(rows)
