"""A handed-in notebook nbgrader cannot read (not UTF-8, not JSON, not a notebook, an nbformat it does not know).

nbgrader fails on such a file partway through autograde and its export then writes 0, the same as for a blank notebook,
with no feedback. graders/nbgrader/submission_files.py's pre-convert hook asks `why_unreadable` of every notebook before
nbgrader copies it, and writes "unreadable: <why>" into the student's not-graded record, so every export
(graders/nbgrader/export/) leaves the score empty with that reason, and graders.batch.autograde reports it.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ..engine.faults import not_graded_record

UNREADABLE = "unreadable"  # how the not-graded record of such a submission starts: "unreadable: <why>"
SOURCE = "source"  # the course's instructor notebooks (nbgrader's default CourseDirectory.source_directory)


def why_unreadable(path: Path) -> str | None:
    """Why nbgrader cannot read the notebook at `path`, in words a student can act on; None if it can."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8 text (byte {e.start} is {e.object[e.start:e.start + 1]!r}); save it from Jupyter again"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return f"not JSON ({e.msg} at line {e.lineno}, column {e.colno}); was it saved from Jupyter?"
    except RecursionError:
        return "JSON nested too deeply to read; was it saved from Jupyter?"
    if not isinstance(data, dict) or "nbformat" not in data:
        return "JSON, but not a Jupyter notebook (it has no nbformat key)"
    if data["nbformat"] not in (3, 4):
        return f"a notebook of nbformat {data['nbformat']!r}, which nbgrader cannot read (it reads 4, or 3)"
    try:
        nbformat.reads(text, as_version=4)  # what nbgrader does first with it
    except Exception as e:  # nbformat raises ValidationError, NBFormatError, KeyError, AttributeError, ...
        return f"not a valid notebook ({str(e).splitlines()[0][:200] if str(e) else type(e).__name__})"
    return None


def record_unreadable(notebook: Path) -> str | None:
    """If submitted/<student>/<assignment>/<notebook> is one the assignment grades (its name is in the course's
    source/<assignment>/) and cannot be read, say so in the student's not-graded record and return the reason; else
    None. nbgrader never opens any other notebook handed in, so a broken scratch notebook costs nothing."""
    notebook = Path(notebook)
    folder = notebook.parent
    course, student, assignment = folder.parents[2], folder.parent.name, folder.name
    if not (course / SOURCE / assignment / notebook.name).is_file():
        return None
    why = why_unreadable(notebook)
    if why is None:
        return None
    record = not_graded_record(course, student, assignment)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{UNREADABLE}: {notebook.name} is {why}\n")
    return why
