"""Does nbgrader keep its gradebook on a PostgreSQL server when given its URL?

Starts a throwaway server (tests/postgres.py), then runs the real `nbgrader generate_assignment`, `autograde` and
`export` in a temporary course, each with `--CourseDirectory.db_url=<the server's URL>`, on two submissions: the
instructor's solution and the untouched release. The grades are read back from the server, and the course must
hold no SQLite gradebook.db.
"""
from __future__ import annotations

import shutil

import nbformat
import pytest

from course import (ASSIGNMENT, ROOT, TOTAL, exported_scores, run_nbgrader, solution_sources,
                    write_submission)
from postgres import postgres_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow

EXPECTED = {"instructor": TOTAL, "untouched": 0.0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, postgres_url):  # noqa: F811
    course = tmp_path_factory.mktemp("course")
    db_url = f"--CourseDirectory.db_url={postgres_url}"
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    run_nbgrader("generate_assignment", ASSIGNMENT, "--force", db_url, cwd=course)

    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    write_submission(course, "instructor", release, solution_sources(source))
    write_submission(course, "untouched", release, None)
    run_nbgrader("autograde", ASSIGNMENT, "--create", db_url, cwd=course)
    run_nbgrader("export", db_url, cwd=course)
    return course, postgres_url


def test_scores_are_on_the_server(graded):
    """Does the PostgreSQL gradebook hold 25 for the instructor's solution and 0 for the untouched release?"""
    from nbgrader.api import Gradebook

    _, url = graded
    assert TOTAL == 25
    with Gradebook(url) as gb:
        assert {student.id for student in gb.students} == set(EXPECTED)
        for student, total in EXPECTED.items():
            submission = gb.find_submission(ASSIGNMENT, student)
            assert submission.score == total, student
            assert submission.max_score == TOTAL, student


def test_export_reads_the_server(graded):
    """Does `nbgrader export` with the same URL write grades.csv with those scores?"""
    course, _ = graded
    assert exported_scores(course) == {student: (total, TOTAL) for student, total in EXPECTED.items()}


def test_no_sqlite_gradebook(graded):
    """Did no nbgrader command fall back to the SQLite gradebook.db in the course folder?"""
    course, _ = graded
    assert not (course / "gradebook.db").exists()
