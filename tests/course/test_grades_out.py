"""Do grades leave the course right: names from the roster, late penalties by the policy, and a missing grade never
written as 0 in any export (nbgrader's CSV, Canvas, Moodle)?

One course, graded once by the real `nbgrader autograde` (module fixture): alice (the solution, on time), bob (a
planted q_sample mistake), carol (her notebook a symbolic link: refused, so not graded), dave (a notebook that is
not JSON: unreadable), erin (the solution, handed in 2 days 1 hour late). Names and emails come from a roster
imported with `nbgrader db student import`, the due date from `nbgrader db assignment add --duedate`.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from course import ASSIGNMENT, ROOT, TASKS, TOTAL, new_course, run_nbgrader, write_submission
from graders.sandbox.confine import isolation_problem
from graders.nbgrader.unreadable import why_unreadable

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                                 reason="sandbox users and their clean-up need root and bubblewrap")]

ROSTER = [  # id, first_name, last_name, email, lms_user_id: the columns `nbgrader db student import` reads
    ("alice", "Ada", "Lovelace", "ada@uni.example", "101"),
    ("bob", "Bernhard", "Riemann", "bernhard@uni.example", "102"),
    ("carol", "Carl", "Gauss", "carl@uni.example", "103"),
    ("dave", "David", "Hilbert", "david@uni.example", "104"),
    ("erin", "Emmy", "Noether", "emmy@uni.example", "105"),
]
DUE = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
HANDED_IN = {"alice": datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc),
             "bob": datetime(2026, 12, 1, 11, 30, tzinfo=timezone.utc),
             "erin": datetime(2026, 12, 3, 13, 0, tzinfo=timezone.utc)}
POINTS_PER_DAY = 2.5  # the course's c.PointsPerDayLate.points_per_day, checked against the config below
CANVAS_ID = 4321
PLANTED = ROOT / "tests" / "graders" / "submissions" / ASSIGNMENT / "q_sample__missing_sqrt.py"
NO_SCORE = {"carol": "not graded:", "dave": "unreadable: ddpm_core.ipynb is not JSON"}
# Canvas's gradebook import columns, in order, then "<assignment> (<Canvas id>)" (graders/nbgrader/export/canvas.py cites it)
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("grades_out")
    release, solutions = new_course(course, extra_config=f"c.CanvasExport.assignment_ids = {{'{ASSIGNMENT}': "
                                                         f"{CANVAS_ID}}}")
    with open(course / "roster.csv", "w", newline="") as f:
        csv.writer(f).writerows([("id", "first_name", "last_name", "email", "lms_user_id"), *ROSTER])
    run_nbgrader("db", "student", "import", "roster.csv", cwd=course)
    run_nbgrader("db", "assignment", "add", ASSIGNMENT, f"--duedate={_stamp(DUE)}", cwd=course)

    write_submission(course, "alice", release, solutions)
    write_submission(course, "bob", release, {**solutions, "q_sample": PLANTED.read_text()})
    write_submission(course, "erin", release, solutions)
    for student, when in HANDED_IN.items():
        (course / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(_stamp(when) + "\n")
    elsewhere = course / "elsewhere.ipynb"
    nbformat.write(release, elsewhere)
    (course / "submitted" / "carol" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").symlink_to(elsewhere)
    (course / "submitted" / "dave" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "dave" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ {"cell_type"')

    graded = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course, check=False)
    assert graded.returncode != 0, "carol and dave cannot be graded, so nbgrader must say so"
    for name, exporter in {"grades.csv": "graders.nbgrader.export.CourseCsvExport",
                           "canvas.csv": "graders.nbgrader.export.canvas.CanvasExport",
                           "moodle.csv": "graders.nbgrader.export.moodle.MoodleExport"}.items():
        run_nbgrader("export", f"--exporter={exporter}", "--to", name, cwd=course)
    return course


def _course_rows(course: Path) -> dict[str, dict[str, str]]:
    with open(course / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_the_course_csv_names_every_student_from_the_roster_and_scores_the_graded(course):
    """Does the default export carry the roster's names and emails, full marks for alice, q_sample's points off
    for bob, and no late penalty for either (both on time)?"""
    rows = _course_rows(course)
    assert sorted(rows) == sorted(s[0] for s in ROSTER)
    for student, first, last, email, _ in ROSTER:
        assert (rows[student]["first_name"], rows[student]["last_name"], rows[student]["email"]) == (first, last, email)
    assert float(rows["alice"]["score"]) == TOTAL and float(rows["alice"]["late_submission_penalty"]) == 0
    assert float(rows["bob"]["raw_score"]) == TOTAL - TASKS["q_sample"].points
    assert float(rows["bob"]["late_submission_penalty"]) == 0 and rows["bob"]["not_graded"] == ""


def test_the_late_student_loses_what_the_policy_says_in_every_export(course):
    """erin handed in 2 days 1 hour late: does she lose 3 started days × points_per_day, in the course CSV (raw,
    penalty, score), Canvas (the score) and Moodle (the score, and the penalty in the feedback)?"""
    config = (course / "nbgrader_config.py").read_text()
    assert f"c.PointsPerDayLate.points_per_day = {POINTS_PER_DAY}" in config
    days = math.ceil((HANDED_IN["erin"] - DUE).total_seconds() / 86400)
    penalty = POINTS_PER_DAY * days
    erin = _course_rows(course)["erin"]
    assert (float(erin["raw_score"]), float(erin["late_submission_penalty"]), float(erin["score"])) == \
        (TOTAL, penalty, TOTAL - penalty)
    assert erin["timestamp"].startswith("2026-12-03 13:00:00") and erin["duedate"].startswith("2026-12-01 12:00:00")
    canvas = {row[2]: row for row in _read(course / "canvas.csv")[1:]}
    assert float(canvas["erin"][5]) == TOTAL - penalty and float(canvas["alice"][5]) == TOTAL
    moodle = {row[1]: row for row in _read(course / "moodle.csv")[1:]}
    assert float(moodle["erin"][2]) == TOTAL - penalty
    assert moodle["erin"][3] == f"{days} day(s) late: {penalty:g} of {TOTAL:g} points taken off"
    assert moodle["alice"][3] == ""


def test_not_graded_and_unreadable_are_flagged_and_never_0_in_any_export(course):
    """carol (refused notebook) and dave (not JSON): an empty score with the reason in the course CSV and in
    Moodle's feedback, an empty cell in Canvas — never 0, as nbgrader's own export writes?"""
    rows = _course_rows(course)
    canvas = {row[2]: row for row in _read(course / "canvas.csv")[1:]}
    moodle = {row[1]: row for row in _read(course / "moodle.csv")[1:]}
    for student, why in NO_SCORE.items():
        assert rows[student]["raw_score"] == rows[student]["score"] == "", rows[student]
        assert rows[student]["not_graded"].startswith(why), rows[student]
        assert canvas[student][5] == ""
        assert moodle[student][2] == "" and moodle[student][3].startswith(why)
    assert "refused" in rows["carol"]["not_graded"]


def test_a_submission_nbgrader_never_scored_is_not_graded_even_without_a_record(course):
    """With dave's unreadable record gone (a hook that failed, a record deleted by hand), is his submission, which
    nbgrader made but never wrote a score into, still exported with no score and a reason, not nbgrader's 0?"""
    record = course / "not_graded" / "dave" / f"{ASSIGNMENT}.txt"
    kept = record.read_text()
    record.unlink()
    try:
        run_nbgrader("export", "--to", "no_record.csv", cwd=course)
    finally:
        record.write_text(kept)
    with open(course / "no_record.csv", newline="") as f:
        dave = next(row for row in csv.DictReader(f) if row["student_id"] == "dave")
    assert dave["score"] == dave["raw_score"] == "" and dave["not_graded"].startswith("not graded:"), dave


def test_the_canvas_csv_has_canvas_columns_and_the_roster_ids(course):
    """Are the header's first five columns Canvas's, in Canvas's order, then "ddpm_core (<Canvas id>)"; is each
    row "Last, First", the roster's LMS id, and the nbgrader id as SIS User ID?"""
    header, *body = _read(course / "canvas.csv")
    assert header[:5] == CANVAS_COLUMNS
    assert len(header) == 6 and re.fullmatch(r"(.+) \((\d+)\)", header[5]).groups() == (ASSIGNMENT, str(CANVAS_ID))
    assert sorted(tuple(row[:3]) for row in body) == sorted((f"{last}, {first}", lms, sid)
                                                            for sid, first, last, _, lms in ROSTER)


def test_the_moodle_csv_identifies_students_by_email_and_id_number(course):
    """Does Moodle's file start with the identifier columns, then a grade and a feedback column per assignment?"""
    header, *body = _read(course / "moodle.csv")
    assert header == ["Email address", "ID number", ASSIGNMENT, f"{ASSIGNMENT} feedback"]
    assert sorted((row[0], row[1]) for row in body) == sorted((email, sid) for sid, _, _, email, _ in ROSTER)


def test_regrading_one_student_says_why_an_unreadable_notebook_was_not_graded(course):
    """Does `python -m graders.batch.autograde --students dave` grade in its own process (no cluster for one student),
    exit 1, and name the unreadable notebook?"""
    done = subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--course", str(course),
                           "--students", "dave", "--no-progress"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "unreadable: ddpm_core.ipynb is not JSON" in done.stderr, done.stderr[-3000:]
    assert "in this process" in done.stdout, done.stdout


@pytest.mark.parametrize("content, why", [
    (b"\xff\xfe{}", "not UTF-8 text"),
    (b'{"cells": [', "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    (b"[1, 2]", "JSON, but not a Jupyter notebook"),
    (json.dumps({"nbformat": 9, "nbformat_minor": 0, "metadata": {}, "cells": []}).encode(),
     "a notebook of nbformat 9"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code"}]}).encode(),
     "not a valid notebook"),
])
def test_why_unreadable_names_each_kind_of_unreadable_notebook(tmp_path, content, why):
    """Is each kind of file nbgrader cannot read told apart, in words a student can act on?"""
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    assert why_unreadable(path).startswith(why)


def test_why_unreadable_reads_a_released_notebook(tmp_path):
    """Is a notebook as Jupyter saves it (the released one) readable?"""
    assert why_unreadable(ROOT / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb") is None


def test_only_a_graded_notebook_that_cannot_be_read_is_recorded_unreadable(tmp_path):
    """Is a broken notebook the assignment grades recorded as unreadable by the pre-convert hook, while a broken
    scratch notebook beside a readable one (nbgrader never opens it) is not?"""
    from graders.engine.faults import not_graded_record
    from graders.nbgrader.submission_files import check_submission

    (tmp_path / "source" / ASSIGNMENT).mkdir(parents=True)
    source = ROOT / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (tmp_path / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_bytes(source.read_bytes())
    for student, graded in {"frank": b"not json", "grace": source.read_bytes()}.items():
        folder = tmp_path / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(graded)
        (folder / "scratch.ipynb").write_bytes(b"{")
        check_submission(assignment=ASSIGNMENT, student=student, notebooks=sorted(map(str, folder.glob("*.ipynb"))))
    assert not_graded_record(tmp_path, "frank", ASSIGNMENT).read_text().startswith(
        f"unreadable: {ASSIGNMENT}.ipynb is not JSON")
    assert not not_graded_record(tmp_path, "grace", ASSIGNMENT).exists()
