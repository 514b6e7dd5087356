"""nbgrader configuration of the DDPM Lab course. Run every nbgrader command from this folder (assignments/).

Grades come from the grading engine in the repository's graders/ package, not from the notebook's kernel:
autograde runs the notebook in a confined kernel for the feedback (graders/kernel.py), then a confined grading
worker calls the student's functions and the engine writes every test cell's outcome (graders/nbgrader_grade.py).
"""
import sys
from pathlib import Path

from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from nbconvert.preprocessors import ClearMetadataPreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, which holds graders/
from graders.nbgrader_grade import ConfinedExecute, GradeWithEngine  # noqa: E402
from graders.submission_files import refuse_unsafe_files  # noqa: E402

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "ddpm-lab"

# Every released notebook starts with the course header.
c.IncludeHeaderFooter.header = "source/header.ipynb"

# What students see in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Before nbgrader copies a submission, links, hard links, FIFOs, devices and oversized files are set aside: copied,
# they would carry course files (the hidden seed, the gradebook) back to the student (graders/submission_files.py).
c.Autograde.pre_convert_hook = refuse_unsafe_files

# nbgrader's own autograde steps, with Execute confined and the engine's verdicts written before the scores are saved.
c.Autograde.autograde_preprocessors = [ConfinedExecute, GradeWithEngine, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# `nbgrader export` leaves a not-graded student's score empty, with the reason, instead of nbgrader's 0 (graders/export.py).
c.ExportApp.plugin_class = "graders.export.CourseCsvExport"

# The seed of the hidden test cases: a secret of the course, made on first use, never committed or handed out
# (graders/hidden_seed.py). Students have graders/ and reference/, so a public seed would let them precompute answers.
c.HiddenCases.seed_file = str(Path(__file__).with_name("hidden_seed.txt"))

# A cell still running after this many seconds is interrupted; execution goes on with the next cell. The kernel
# only produces the feedback's outputs: the graded verdicts come from the grading worker, which has its own limits.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
