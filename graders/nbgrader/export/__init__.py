"""`nbgrader export` plugins that never turn a missing grade into 0 (rows.py decides what each row says).

    nbgrader export                                                     # course_csv: nbgrader's CSV + not_graded
    nbgrader export --exporter=graders.nbgrader.export.canvas.CanvasExport --to canvas.csv
    nbgrader export --exporter=graders.nbgrader.export.moodle.MoodleExport --to moodle.csv

assignments/nbgrader_config.py sets CourseCsvExport as the default (c.ExportApp.plugin_class).
"""
from .course_csv import CourseCsvExport

__all__ = ["CourseCsvExport"]
