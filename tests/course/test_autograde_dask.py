"""Does `python -m graders.batch.autograde` grade a class on Dask into nbgrader's gradebook, losing and doubling nothing?

Two real courses (tests/support/course.py), each graded by the real command in a subprocess:
- on PostgreSQL (a throwaway server, tests/support/postgres.py), on a Dask cluster this test starts and hands over with
  --scheduler; one of its two workers is killed with SIGKILL while it grades a student. The class is then graded
  a second time, untouched. Every student must end with one submission and one row per graded cell, the planted
  scores, the same after the rerun; a notebook that breaks nbgrader itself is reported, the rest graded.
- on the default SQLite gradebook and LocalCluster of two workers, whose concurrent writes must all land.
`nbgrader export` then reads each gradebook unchanged.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from course import ASSIGNMENT, ROOT, TASKS, TOTAL, exported_scores, new_course, run_nbgrader, write_submission
from postgres import postgres_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow

PLANTED = ROOT / "tests" / "graders" / "submissions" / "ddpm_core"
MISTAKES = {"sqrt-less": ("q_sample", "q_sample__missing_sqrt"), "summer": ("eps_loss", "eps_loss__sum_not_mean")}


def write_class(course: Path, correct: int, config: str = "") -> dict[str, float]:
    """A course (nbgrader_config.py plus `config`, generated) with `correct` instructor's solutions, the untouched
    release, the planted mistakes and a file that is not a notebook; each student's expected score (None: not
    graded)."""
    release, solutions = new_course(course, extra_config=f"c.Execute.timeout = 10\n{config}")
    expected: dict[str, float | None] = {}
    for i in range(correct):
        write_submission(course, f"right-{i}", release, solutions)
        expected[f"right-{i}"] = TOTAL
    write_submission(course, "untouched", release, None)
    expected["untouched"] = 0.0
    for student, (task, stem) in MISTAKES.items():
        write_submission(course, student, release, {**solutions, task: (PLANTED / f"{stem}.py").read_text()})
        expected[student] = TOTAL - TASKS[task].points
    broken = course / "submitted" / "broken" / ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [')
    expected["broken"] = None
    return expected


def autograde(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--no-progress", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def gradebook_rows(url: str) -> dict[str, tuple[float, int, int]]:
    """student -> (score, submissions, grade rows) in the gradebook at `url`."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        out = {}
        for student in gb.students:
            submissions = student.submissions
            grades = sum(len(nb.grades) for s in submissions for nb in s.notebooks)
            out[student.id] = (submissions[0].score if submissions else None, len(submissions), grades)
        return out


def graded_cells() -> int:
    """How many graded cells (one grade row each) the assignment's notebook has."""
    import nbformat

    source = nbformat.read(ROOT / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return sum(1 for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))


def kill_a_busy_worker(client, killed: list[int], stop: threading.Event) -> None:
    """Once a worker has been grading for 3 s (its student's kernel and grading worker running), SIGKILL it and
    record its pid."""
    while not stop.is_set():
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            time.sleep(3)
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory, postgres_url):  # noqa: F811
    from graders.batch.cluster import dask_client

    course = tmp_path_factory.mktemp("course")
    expected = write_class(course, correct=3, config=f"c.CourseDirectory.db_url = {postgres_url!r}")
    killed: list[int] = []
    with dask_client(None, 2) as client:
        stop = threading.Event()
        killer = threading.Thread(target=kill_a_busy_worker, args=(client, killed, stop))
        killer.start()
        first = autograde("--course", str(course), "--scheduler", client.scheduler.address)
        stop.set()
        killer.join()
        after_first = gradebook_rows(postgres_url)
        second = autograde("--course", str(course), "--scheduler", client.scheduler.address)
    return {"course": course, "url": postgres_url, "expected": expected, "killed": killed, "first": first,
            "second": second, "after_first": after_first, "after_second": gradebook_rows(postgres_url)}


def test_killed_worker_loses_no_student(on_postgres):
    """With a worker killed mid-class, does every student but the broken one get the planted score, with exactly
    one submission and one grade row per graded cell, and the command name the broken one alone?"""
    first, expected = on_postgres["first"], on_postgres["expected"]
    assert on_postgres["killed"], "no worker was killed: the test did not test anything"
    assert first.returncode == 1, first.stderr[-3000:]
    assert f"{len(expected) - 1} of {len(expected)} students autograded" in first.stdout
    assert "not graded: broken" in first.stdout and "--- broken: not graded ---" in first.stderr
    assert "unreadable: ddpm_core.ipynb is not JSON" in first.stderr
    rows, cells = on_postgres["after_first"], graded_cells()
    for student, score in expected.items():
        if score is not None:
            assert rows[student] == (score, 1, cells), student


def test_rerun_gives_the_same_gradebook(on_postgres):
    """Does grading the same class again leave the same scores and the same number of rows?"""
    assert on_postgres["second"].returncode == 1
    graded = {s: r for s, r in on_postgres["after_second"].items() if on_postgres["expected"].get(s) is not None}
    assert graded == {s: r for s, r in on_postgres["after_first"].items() if s in graded}


def test_nbgrader_export_reads_the_parallel_gradebook(on_postgres):
    """Does the plain `nbgrader export` write the planted scores from the PostgreSQL gradebook, and no score (never
    0) for the student whose notebook could not be read?"""
    course = on_postgres["course"]
    run_nbgrader("export", cwd=course)
    scores = exported_scores(course)
    for student, score in on_postgres["expected"].items():
        assert scores[student] == (score, TOTAL), student
    assert not (course / "gradebook.db").exists()  # no command fell back to SQLite


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    expected = write_class(course, correct=1)
    proc = autograde("--course", str(course), "--workers", "2")
    return {"course": course, "expected": expected, "proc": proc}


def test_default_sqlite_takes_every_concurrent_write(on_sqlite):
    """On the default SQLite gradebook with 2 workers writing at once, does every student's score land (none lost
    to a locked database), and nbgrader's own autograded notebooks exist for each graded student?"""
    course, expected, proc = on_sqlite["course"], on_sqlite["expected"], on_sqlite["proc"]
    assert proc.returncode == 1 and "not graded: broken" in proc.stdout, proc.stderr[-3000:]
    assert "database is locked" not in proc.stderr
    rows = gradebook_rows(f"sqlite:///{course / 'gradebook.db'}")
    for student, score in expected.items():
        if score is not None:
            assert rows[student] == (score, 1, graded_cells()), student
            assert (course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file(), student
    run_nbgrader("export", cwd=course)
    assert exported_scores(course)["right-0"] == (TOTAL, TOTAL)


def test_sqlite_is_refused_across_machines(tmp_path):
    """With --scheduler and a SQLite gradebook, does the command refuse before grading, naming PostgreSQL?"""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    proc = autograde("--course", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9")
    assert proc.returncode == 2
    assert "SQLite" in proc.stderr and "PostgreSQL" in proc.stderr and "--db postgresql://" in proc.stderr


def test_bad_course_and_students_are_named(tmp_path, on_sqlite):
    """Does the command exit 2 naming a folder without nbgrader_config.py, and a student who submitted nothing?"""
    proc = autograde("--course", str(tmp_path))
    assert proc.returncode == 2 and "has no nbgrader_config.py" in proc.stderr
    proc = autograde("--course", str(on_sqlite["course"]), "--students", "right-0", "nobody")
    assert proc.returncode == 2 and "no submission of 'ddpm_core' for nobody" in proc.stderr
