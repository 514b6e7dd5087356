"""nbgrader configuration of the DDPM Lab course. Run every nbgrader command from this folder (assignments/).

Grades come from the grading engine in the repository's graders/ package, not from the notebook's kernel:
autograde runs the notebook in a confined kernel for the feedback (graders/sandbox/kernel.py), then a confined grading
worker calls the student's functions and the engine writes every test cell's outcome (graders/nbgrader/grade.py).
"""
import sys
from pathlib import Path

from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor

# In a checkout, the course grades with the checkout's graders/ beside it; a course folder elsewhere (a copy of
# assignments/ on a grading server) uses the installed lab (pip install ., docs/instructors.md).
CHECKOUT = Path(__file__).resolve().parents[1]
if (CHECKOUT / "graders" / "__init__.py").is_file():
    sys.path.insert(0, str(CHECKOUT))
try:
    from graders.nbgrader.grade import ConfinedExecute, GradeWithEngine
    from graders.nbgrader.submission_files import check_submission
except ModuleNotFoundError as e:
    # nbgrader logs an exception in its config file and goes on without the file: it would grade in an unconfined
    # kernel, by nbgrader's own rules. SystemExit is the one thing that stops it.
    raise SystemExit(f"nbgrader_config.py: cannot import the lab's graders ({e}). Install the lab into this Python "
                     f"(pip install ., docs/instructors.md), or run nbgrader from assignments/ in a checkout.") from e

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "ddpm-lab"

# Every released notebook starts with the course header.
c.IncludeHeaderFooter.header = "source/header.ipynb"

# What students see in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Before nbgrader copies a submission, links, hard links, FIFOs, devices and oversized files are set aside: copied,
# they would carry course files (the hidden seed, the gradebook) back to the student (graders/nbgrader/submission_files.py);
# a notebook nbgrader cannot read is recorded as "unreadable: <why>", which no export turns into 0
# (graders/nbgrader/unreadable.py).
c.Autograde.pre_convert_hook = check_submission

# nbgrader's own autograde steps, with Execute confined and the engine's verdicts written before the scores are saved.
c.Autograde.autograde_preprocessors = [ConfinedExecute, GradeWithEngine, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# `nbgrader export` leaves a not-graded student's score empty, with the reason, instead of nbgrader's 0
# (graders/nbgrader/export/); --exporter=graders.nbgrader.export.canvas.CanvasExport or graders.nbgrader.export.moodle.MoodleExport writes an
# LMS's import format.
c.ExportApp.plugin_class = "graders.nbgrader.export.CourseCsvExport"
# Canvas's id of each assignment, for the Canvas export's column headers "<name> (<id>)" (docs/grades.md).
c.CanvasExport.assignment_ids = {}

# A submission later than its due date (nbgrader db assignment add NAME --duedate=...) and its timestamp.txt loses
# this many points per started day late, never more than it scored (graders/nbgrader/late_penalty.py, docs/grades.md).
c.AssignLatePenalties.plugin_class = "graders.nbgrader.late_penalty.PointsPerDayLate"
c.PointsPerDayLate.points_per_day = 2.5

# The feedback page students read (graders/nbgrader/feedback/, docs/feedback.md): task names in the score summary, verdicts
# that wrap, formulas as MathML written here (the page makes no network request), and the lab's pages as links.
c.GenerateFeedback.exporter_class = "graders.nbgrader.feedback.FeedbackExporter"
# nbgrader's own feedback steps, then the hidden test cells' code taken out: autograde restored it, and students
# fetch their feedback (their verdicts stay).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
# The lab's address, e.g. "https://ddpm-lab.example.edu/": the pages the feedback names link there. Empty: named only.
c.FeedbackExporter.lab_url = ""

# The seed of the hidden test cases: a secret of the course, made on first use, never committed or handed out
# (graders/nbgrader/hidden_seed.py). Students have graders/ and reference/, so a public seed would let them precompute answers.
c.HiddenCases.seed_file = str(Path(__file__).with_name("hidden_seed.txt"))

# A cell still running after this many seconds is interrupted; execution goes on with the next cell. The kernel
# only produces the feedback's outputs: the graded verdicts come from the grading worker, which has its own limits.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
