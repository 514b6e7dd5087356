"""Can a submission carry course files back to its student through nbgrader's copies? (graders/nbgrader/submission_files.py)

nbgrader copies what is handed in beside the notebook into autograded/ and, from there, feedback/, following links:
links to the course's hidden seed, gradebook and config once landed, whole, in the student's feedback folder.
"""
from __future__ import annotations

import os

import pytest

from graders.sandbox.confine import isolation_problem
from graders.nbgrader.hidden_seed import course_seed
from graders.nbgrader.submission_files import MAX_FILE_MIB, REFUSED, unsafe_files

from course import ASSIGNMENT, TOTAL, cell_scores, new_course, run_nbgrader, write_submission


def test_unsafe_files_are_named_and_own_files_are_not(tmp_path):
    """Are a symbolic link (to a file and to a folder), a hard link, a FIFO and an oversized file each named with
    their reason, and a plain file and folder of the student's own left alone?"""
    folder = tmp_path / "submission"
    (folder / "data").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    (folder / "data" / "points.csv").write_text("1,2\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("course")
    (folder / "seed.txt").symlink_to(secret)
    (folder / "course").symlink_to(tmp_path, target_is_directory=True)
    os.link(secret, folder / "copy.txt")
    os.mkfifo(folder / "pipe")
    with open(folder / "big.bin", "wb") as f:
        f.truncate(MAX_FILE_MIB * 2**20 + 1)
    found = {p.name: why for p, why in unsafe_files(folder)}
    assert set(found) == {"seed.txt", "course", "copy.txt", "pipe", "big.bin"}
    assert "symbolic link" in found["seed.txt"] and "hard link" in found["copy.txt"] and "FIFO" in found["pipe"]


@pytest.mark.slow
@pytest.mark.skipif(isolation_problem() is not None, reason="grading needs bubblewrap here")
def test_links_to_course_files_never_reach_autograded_or_feedback(tmp_path):
    """A correct submission handed in with symbolic links to the hidden seed, the gradebook and the config, a hard
    link to the config and a FIFO: is it graded in full, do its autograded/ and feedback/ folders hold exactly what a
    plain classmate's hold, with none of those files' bytes, and does its feedback say what was left out?"""
    course = tmp_path / "course"
    course.mkdir()
    release, solutions = new_course(course)
    seed = str(course_seed(course / "hidden_seed.txt"))
    for student in ("gina", "hal"):
        write_submission(course, student, release, solutions)
    folder = course / "submitted" / "gina" / ASSIGNMENT
    for name in ("hidden_seed.txt", "gradebook.db", "nbgrader_config.py"):
        (folder / name).symlink_to(course / name)
    os.link(course / "nbgrader_config.py", folder / "config_copy.py")
    os.mkfifo(folder / "pipe")

    run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course, timeout=900)
    run_nbgrader("generate_feedback", ASSIGNMENT, cwd=course, timeout=900)

    assert sum(cell_scores(course, "gina").values()) == TOTAL
    for stage in ("autograded", "feedback"):
        gina, hal = course / stage / "gina" / ASSIGNMENT, course / stage / "hal" / ASSIGNMENT
        assert sorted(p.name for p in gina.iterdir()) == sorted(p.name for p in hal.iterdir())
        for path in gina.rglob("*"):
            data = path.read_bytes()
            assert seed.encode() not in data and b"SQLite format 3" not in data and b"HiddenCases" not in data, path
    feedback = (course / "feedback" / "gina" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Left out of grading" in feedback and "hidden_seed.txt: a symbolic link" in feedback
    kept = course / REFUSED / "gina" / ASSIGNMENT
    assert (kept / "hidden_seed.txt").is_symlink() and (kept / "pipe").exists()  # kept, not deleted
