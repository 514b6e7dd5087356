"""Is a fault of the grading machinery never a student's grade, through the real nbgrader and both batch commands?

- two gradings at once on one machine, each with its own TMPDIR and course folder, give every correct student full
  marks (their sandboxes once shared uids, and one grading's clean-up killed the other's);
- a sandbox killed from outside, again and again, leaves its student *not graded*, with the reason, no score in
  the gradebook and a non-zero exit — never 0 points;
- an instructor's solution that does not get full marks (the canary) stops nbgrader autograde, graders.batch.autograde and
  the TA tool before any grade is written;
- a kernel that dies mid-notebook leaves the cause in the log and a note in the student's notebook.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from graders.sandbox.confine import isolation_problem
from graders.nbgrader.cli import run_nbgrader
from graders.engine.faults import NOT_GRADED

from course import ASSIGNMENT, TOTAL, cell_scores, new_course, write_submission

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                                 reason="sandbox users and their clean-up need root and bubblewrap")]


def _course(folder: Path, students: list[str], cells=None) -> Path:
    folder.mkdir(parents=True)
    release, solutions = new_course(folder)
    for student in students:
        write_submission(folder, student, release, solutions if cells is None else cells(solutions))
    return folder


def _submission(course: Path, student: str):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            return gb.find_submission(ASSIGNMENT, student).score
        except MissingEntry:
            return None


def test_two_gradings_with_their_own_tmpdir_give_every_correct_student_full_marks(tmp_path):
    """Two courses graded at once by `nbgrader autograde`, each run with a TMPDIR and a course folder of its own:
    does every correct student of both get all 25 points?"""
    courses = {name: _course(tmp_path / name / "course", [f"{name}{i}" for i in range(3)]) for name in ("a", "b")}
    done = {}

    def grade(name):
        tmp = tmp_path / name / "tmp"
        tmp.mkdir()
        done[name] = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=courses[name], env={"TMPDIR": str(tmp)},
                                  check=False)

    threads = [threading.Thread(target=grade, args=(name,)) for name in courses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, course in courses.items():
        assert done[name].returncode == 0, done[name].stderr[-3000:]
        for i in range(3):
            assert sum(cell_scores(course, f"{name}{i}").values()) == TOTAL, (name, i)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parent = int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_workers_after_the_first(grader: subprocess.Popen, killed: list[int]) -> None:
    """SIGKILL, from outside, the sandbox (bubblewrap) of every grading worker `grader` starts after its first (the
    canary's), until it exits."""
    seen: set[int] = set()
    while grader.poll() is None:
        for pid in _descendants(grader.pid):
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if pid in seen or not any(a.endswith(b"bwrap") for a in argv) or b"graders.sandbox.worker" not in argv:
                continue
            seen.add(pid)
            if len(seen) > 1:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
        time.sleep(0.02)


def test_a_sandbox_killed_from_outside_leaves_its_student_not_graded(tmp_path):
    """Is a correct student whose grading worker is SIGKILLed from outside on every try reported not graded, with
    the reason, by a non-zero exit, with no score in the gradebook and no autograded copy?"""
    course = _course(tmp_path / "course", ["carol"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    grader = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--create"], cwd=course,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed: list[int] = []
    killer = threading.Thread(target=_kill_workers_after_the_first, args=(grader, killed))
    killer.start()
    log = grader.communicate(timeout=600)[0]
    killer.join()
    assert grader.returncode != 0
    assert len(killed) >= 3, log[-3000:]
    assert "NOT GRADED: carol" in log and "killed from outside" in log, log[-3000:]
    assert _submission(course, "carol") is None
    assert "killed from outside" in (course / NOT_GRADED / "carol" / f"{ASSIGNMENT}.txt").read_text()
    assert not (course / "autograded" / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    run_nbgrader("export", cwd=course)
    with open(course / "grades.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "carol")
    assert row["score"] == "" and "killed from outside" in row["not_graded"]  # nbgrader's own export would say 0.0


def test_a_broken_canary_stops_every_front_end_before_any_grade(tmp_path):
    """With the instructor's q_sample made wrong in source/, do nbgrader autograde, graders.batch.autograde and the TA
    tool each exit non-zero naming the canary, with no student's score written?"""
    course = _course(tmp_path / "course", ["dave", "erin"])
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q_sample":
            cell.source = cell.source.replace("return ", "return 2 * ", 1)
    nbformat.write(nb, source)

    plain = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course, check=False)
    assert plain.returncode != 0
    assert "the canary" in plain.stdout + plain.stderr
    assert _submission(course, "dave") is None and _submission(course, "erin") is None
    assert "did not get full marks" in (course / NOT_GRADED / "dave" / f"{ASSIGNMENT}.txt").read_text()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    batch = subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--course", str(course),
                            "--workers", "1", "--no-progress"], env=env, capture_output=True, text=True, timeout=600)
    assert batch.returncode == 1 and "nobody graded" in batch.stderr and "canary" in batch.stderr, batch.stderr
    assert _submission(course, "dave") is None

    report = tmp_path / "report"
    ta = subprocess.run([sys.executable, "-m", "graders.compare", str(course / "submitted"), "--out", str(report),
                         "--no-progress"], env=env, capture_output=True, text=True, timeout=600)
    assert ta.returncode == 1 and "canary" in ta.stderr, ta.stderr
    assert not (report / "report.html").exists()


def test_a_kernel_that_dies_leaves_its_cause_in_the_log_and_a_note_in_the_feedback(tmp_path):
    """A notebook whose q_sample cell ends its kernel (os._exit(3) at the top level): does nbgrader's log quote the
    launcher's cause, and does the autograded notebook say, in that cell, why the outputs stop there?"""
    course = _course(tmp_path / "course", ["frank"],
                     lambda s: {**s, "q_sample": s["q_sample"] + "\nimport os\nos._exit(3)\n"})
    done = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course, check=False)
    log = done.stdout + done.stderr
    assert "the notebook's kernel ended (exit code 3)" in log, log[-3000:]
    graded = nbformat.read(course / "autograded" / "frank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    notes = [(c.metadata.get("nbgrader", {}).get("grade_id"), o.text) for c in graded.cells if c.cell_type == "code"
             for o in c.get("outputs", []) if "kernel stopped at this cell" in o.get("text", "")]
    assert len(notes) == 1 and notes[0][0] == "q_sample", notes
    assert "exit code 3" in notes[0][1] and "Your grade does not depend on it" in notes[0][1]
