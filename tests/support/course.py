"""A temporary copy of the nbgrader course, for tests that run the real nbgrader on submissions of their own.

    release, solutions = new_course(course)                       # nbgrader_config.py + source/, generated
    write_submission(course, "alice", release, solutions)         # submitted/alice/ddpm_core/ddpm_core.ipynb
    (each takes assignment="ddpm_beyond" for the second assignment)
    run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
    cell_scores(course, "alice")                                  # grade_id -> score, from the gradebook
    exported_scores(course)                                       # student -> (raw, max), from grades.csv

Used by tests/course/test_assignment_pipeline.py (planted mistakes) and tests/course/test_assignment_hostile.py (attacks).
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import os
import re
import shutil
from pathlib import Path

import nbformat

from graders.nbgrader.cli import run_nbgrader
from graders.engine.tasks import tasks_of

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ddpm_core"  # the default of every function below
TASKS = tasks_of(ASSIGNMENT)
TOTAL = sum(task.points for task in TASKS.values())


def solution_sources(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's code of each solution cell, marker lines removed."""
    out = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines()
                     if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


# The folder, one per test run (tests/conftest.py sets it; every xdist process sees the same), where each assignment is
# generated once and copied to every course that asks for it, instead of one `nbgrader generate_assignment` each.
GENERATED = "DDPM_TEST_GENERATED"
# Config classes that `nbgrader generate_assignment` reads: an extra_config naming one generates its own course.
GENERATION_CONFIG = re.compile(r"\bc\.(CourseDirectory|GenerateAssignment|ClearSolutions|ClearHiddenTests|ClearMark|"
                               r"ClearOutput|IncludeHeaderFooter|LockCells|ComputeChecksums|SaveCells|CheckCellMetadata|"
                               r"NbGraderAPI|Exporter|NotebookExporter)\b")


def new_course(course: Path, extra_config: str = "", assignment: str = ASSIGNMENT
               ) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    """Copy the course's config and source/ into `course`, append `extra_config` to its nbgrader_config.py, run
    generate_assignment; returns the released notebook and the instructor's solution cells (grade_id -> code).

    Within a test run the release and gradebook that generate_assignment writes from the same source/ and config are
    generated once and copied (see GENERATED); extra_config that configures generation, or a course folder that
    already holds a gradebook, is generated in place."""
    cache = os.environ.get(GENERATED)
    once = cache and not GENERATION_CONFIG.search(extra_config) and not (course / "gradebook.db").exists()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    if extra_config:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write("\n" + extra_config + "\n")
    if once:
        shutil.copytree(_generated_once(Path(cache), assignment), course, dirs_exist_ok=True)
    else:
        shutil.copytree(ROOT / "assignments" / "source", course / "source")
        run_nbgrader("generate_assignment", assignment, "--force", cwd=course)
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = solution_sources(nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    return release, solutions


def _generated_once(cache: Path, assignment: str) -> Path:
    """A course folder (source/, release/, gradebook.db) where `assignment` was generated from the checkout's source/
    and nbgrader_config.py, made by the first process to ask (under a lock) and keyed by their contents."""
    digest = hashlib.sha256(assignment.encode())
    inputs = [ROOT / "assignments" / "nbgrader_config.py", *sorted((ROOT / "assignments" / "source").rglob("*"))]
    for path in (p for p in inputs if p.is_file()):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    folder = cache / f"{assignment}-{digest.hexdigest()[:16]}"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            building = cache / f"{folder.name}.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            shutil.copy(ROOT / "assignments" / "nbgrader_config.py", building)
            shutil.copytree(ROOT / "assignments" / "source", building / "source")
            run_nbgrader("generate_assignment", assignment, "--force", cwd=building)
            (building / "nbgrader_config.py").unlink()  # each course writes its own, with its extra_config
            building.rename(folder)
    return folder


def filled(release: nbformat.NotebookNode, cells: dict[str, str] | None) -> nbformat.NotebookNode:
    """A copy of the released notebook with `cells` (grade_id -> code) put in, as a student would write them."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cells is not None and grade_id in cells:
            cell.source = cells[grade_id]
    return nb


def write_submission(course: Path, student: str, release: nbformat.NotebookNode, cells: dict[str, str] | None,
                     assignment: str = ASSIGNMENT) -> None:
    """submitted/<student>/<assignment>/<assignment>.ipynb: the release with `cells` (grade_id -> code) put in."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(filled(release, cells), folder / f"{assignment}.ipynb")


def cell_scores(course: Path, student: str, assignment: str = ASSIGNMENT) -> dict[str, float]:
    """grade_id -> score of every graded cell of the student's notebook, from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {grade.name: grade.score for grade in nb.grades}


def exported_scores(course: Path) -> dict[str, tuple[float | None, float]]:
    """student -> (raw_score, max_score), as `nbgrader export` wrote them to the course's grades.csv; raw_score is
    None where the export left it empty (a student not graded, graders/nbgrader/export/)."""
    with open(course / "grades.csv") as f:
        return {row["student_id"]: (float(row["raw_score"]) if row["raw_score"] else None, float(row["max_score"]))
                for row in csv.DictReader(f)}
