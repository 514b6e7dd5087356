"""Does the TA comparison find the class in nbgrader's layout and the course's seed, and refuse bad folders and
arguments plainly?"""
from __future__ import annotations

import dask
import nbformat
import pytest

from compare_class import write_notebook
from graders.engine.cases import PUBLIC_SEED
from graders.compare import cli, main
from graders.compare.roster import find_submissions, read_names


def test_roster_accepts_course_or_submitted_folder(tmp_path):
    """Does find_submissions find the same students from the course folder and from submitted/?"""
    for student in ("bo", "al"):
        write_notebook(tmp_path / "submitted", student, {})
    (tmp_path / "submitted" / "cy").mkdir()  # a student without this assignment is left out
    from_course = find_submissions(tmp_path)
    from_submitted = find_submissions(tmp_path / "submitted", "ddpm_core")
    assert [s.student for s in from_course] == [s.student for s in from_submitted] == ["al", "bo"]
    assert from_course[0].notebook.name == "ddpm_core.ipynb"


def test_roster_asks_which_assignment(tmp_path):
    """With two assignments submitted and none chosen, does the error say to pass --assignment?"""
    write_notebook(tmp_path / "submitted", "al", {})
    nbformat.write(nbformat.v4.new_notebook(), str(tmp_path / "x.ipynb"))
    (tmp_path / "submitted" / "al" / "other").mkdir()
    with pytest.raises(ValueError, match="holds 2 assignments .* choose one with --assignment"):
        find_submissions(tmp_path / "submitted")


def test_cli_reports_a_bad_folder(tmp_path, capsys):
    """Does the command exit 2 with a one-line error for a folder that does not exist?"""
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_cli_reports_an_unknown_assignment(tmp_path, capsys):
    """Does the command exit 2, naming the known assignments, for an assignment with no task specs?"""
    folder = tmp_path / "submitted" / "al" / "homework9"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), str(folder / "homework9.ipynb"))
    assert main([str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "unknown assignment 'homework9'; known: ddpm_core" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_cli_names_a_scheduler_that_is_not_there(tmp_path, capsys):
    """Does --scheduler with nothing listening exit 2 with a message naming the address?"""
    write_notebook(tmp_path / "submitted", "al", {})
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main([str(tmp_path), "--out", str(tmp_path / "r"), "--scheduler", "tcp://127.0.0.1:9",
                     "--no-progress"]) == 2
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in capsys.readouterr().err


@pytest.fixture()
def captured(monkeypatch):
    """The keyword arguments the command hands grade_course, which grades nobody here."""
    seen = {}

    def fake_grade_course(classes, *args, **kwargs):
        seen.update(kwargs)
        return []

    monkeypatch.setattr(cli, "grade_course", fake_grade_course)
    return seen


def test_cli_grades_on_the_course_seed(tmp_path, captured, capsys):
    """Does --seed-file hand the course's hidden-case seed to the grading, and without it the public seed, saying
    so?"""
    write_notebook(tmp_path / "submitted", "al", {})
    seed_file = tmp_path / "hidden_seed.txt"
    seed_file.write_text("12345\n")
    assert main([str(tmp_path), "--out", str(tmp_path / "r"), "--seed-file", str(seed_file), "--no-progress"]) == 0
    assert captured["seed"] == 12345 and "public seed" not in capsys.readouterr().err
    assert main([str(tmp_path), "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert captured["seed"] == PUBLIC_SEED and "pass --seed-file" in capsys.readouterr().err


def test_cli_refuses_a_missing_seed_file(tmp_path, captured, capsys):
    """Does a --seed-file that does not exist stop the command (exit 2) rather than grade on a new seed?"""
    write_notebook(tmp_path / "submitted", "al", {})
    missing = tmp_path / "nope.txt"
    assert main([str(tmp_path), "--out", str(tmp_path / "r"), "--seed-file", str(missing)]) == 2
    assert "does not exist" in capsys.readouterr().err and not missing.exists() and not captured


def test_names_from_a_roster(tmp_path):
    """Does read_names take nbgrader's id,first_name,last_name,email roster (or an id,name one), and refuse a CSV
    without those columns, naming the columns it has?"""
    roster = tmp_path / "students.csv"
    roster.write_text("id,first_name,last_name,email\nal,Al,Bano,al@x.org\nbo,,Derek,\n")
    assert read_names(roster) == {"al": "Al Bano", "bo": "Derek"}
    roster.write_text("id,name\ncy,Cy Twombly\n")
    assert read_names(roster) == {"cy": "Cy Twombly"}
    roster.write_text("student,email\nal,al@x.org\n")
    with pytest.raises(ValueError, match="needs an id column .* it has email, student"):
        read_names(roster)


def test_cli_refuses_one_source_for_several_assignments(tmp_path, capsys):
    """With two assignments to grade, does --source (one instructor's notebook) stop the command with exit 2?"""
    write_notebook(tmp_path / "submitted", "al", {})
    write_notebook(tmp_path / "submitted", "al", {}, "ddpm_beyond")
    assert main([str(tmp_path), "--out", str(tmp_path / "r"), "--source", str(tmp_path / "x.ipynb")]) == 2
    assert "--source is the solution of one assignment; grading ddpm_beyond, ddpm_core" in capsys.readouterr().err
