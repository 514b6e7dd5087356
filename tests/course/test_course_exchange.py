"""Does a course run through nbgrader's exchange as on JupyterHub, with students who are unix users of their own?

One run, shared by the tests below: the instructor (root) builds the students' copy (`graders.nbgrader.handout`) and installs
it into a student image (a venv that sees the heavy libraries through a .pth file); releases ddpm_core into an
exchange folder (mode 1777). Two student users, one with the instructor's answers and one who swaps q_sample's
coefficients, fetch it, write their answers, run the notebook's visible checks in the fetched copy with the
student image's Python, and submit. The instructor collects, autogrades, generates and releases feedback; each
student fetches it. The tests read the gradebook, the executed notebooks, the fetched feedback, and everything in
the exchange a student could read.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course import ASSIGNMENT, ROOT, TASKS, TOTAL, cell_scores, filled, new_course, run_nbgrader
from graders.nbgrader import handout, leak_scan
from graders.engine.diagnoses import DIAGNOSES

COURSE_ID = "ddpm-lab"
MISTAKE = ROOT / "tests" / "graders" / "submissions" / ASSIGNMENT / "q_sample__swapped_q_coefficients.py"
MISTAKEN_TASK = "q_sample"
ANSWERS = {"right": None, "mistaken": {MISTAKEN_TASK: MISTAKE.read_text()}}  # None: all the instructor's answers
STUDENT_TIMEOUT_S = 600
RUNUSER, USERADD, USERDEL = (shutil.which(c) for c in ("runuser", "useradd", "userdel"))  # in /usr/sbin


# What a student runs as their own user: copies every file of the exchange it can read into `seen/` in its home.
READABLE = """
import os, shutil, sys
root, seen = sys.argv[1], sys.argv[2]
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        target = os.path.join(seen, os.path.relpath(path, root))
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
        except PermissionError:
            pass
"""


@dataclass
class Student:
    """A unix user with a home folder, working in the student image as JupyterHub's single-user server would."""

    user: str  # also the nbgrader student id: collect matches the two
    home: Path
    python: Path  # the student image's

    def run(self, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """`argv` as this student (runuser sets HOME, USER, LOGNAME), with the image's Python first on PATH."""
        env = {"PATH": f"{self.python.parent}:/usr/bin:/bin", "LANG": "C.UTF-8"}
        proc = subprocess.run([RUNUSER, "-u", self.user, "--", *argv], cwd=cwd or self.home, env=env,
                              capture_output=True, text=True, timeout=STUDENT_TIMEOUT_S)
        assert proc.returncode == 0, f"{' '.join(argv)} as {self.user}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(str(self.python), "-m", "nbgrader", *args)

    @property
    def notebook(self) -> Path:
        return self.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def shared_python() -> str | None:
    """An interpreter of this Python version that other users may run: this venv's base, unless it sits in a private
    folder (pyenv under /root), else the system's; None if neither."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys._base_executable).resolve(), Path("/usr/bin") / version):
        if candidate.is_file() and candidate.name.startswith(version) and all(p.stat().st_mode & 0o001
                                                                            for p in [candidate, *candidate.parents]):
            return str(candidate)
    return None


PYTHON = shared_python()


def student_image(where: Path, handout_copy: Path) -> Path:
    """A venv holding the students' copy, seeing this venv's libraries (torch, Jupyter, nbgrader) through a .pth
    file: what a JupyterHub image gets from `pip install` of the hand-out. Returns its Python."""
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(where)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(where), "platbase": str(where)}))
    (site / "ddpm-lab-libraries.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = where / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-cache-dir", "--no-compile", str(handout_copy)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return python


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not all((RUNUSER, USERADD, USERDEL)),
                       reason="needs root, runuser, useradd and userdel for the student users"),
    pytest.mark.skipif(PYTHON is None, reason=f"no Python {sys.version_info.major}.{sys.version_info.minor} that "
                                              f"other users may run (this one lives in a private folder)"),
]


def make_user(name: str, home: Path) -> None:
    subprocess.run([USERADD, "--home-dir", str(home), "--create-home", "--user-group", "--shell", "/bin/sh", name],
                   check=True, capture_output=True)


def visible_tests(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """grade_id -> each test cell the student's copy runs (a hidden one keeps only its docstring there)."""
    return {c.metadata.nbgrader.grade_id: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and "raise_if_failed" in c.source}


def errors(cell: nbformat.NotebookNode) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


@pytest.fixture(scope="module")
def exchange_run():
    """What one pass through the exchange left: the course, the exchange, the students (each home holds the
    fetched copy, the fetched feedback and seen/, the exchange files its account could read)."""
    tmp = Path(tempfile.mkdtemp(prefix="ddpm-exchange-"))
    tmp.chmod(0o755)  # the students' homes and image live below; the course folder is the instructor's alone
    suffix = os.getpid()
    students = {role: Student(f"ddpm-{role}-{suffix}", tmp / "home" / role, tmp / "image" / "bin" / "python")
                for role in ANSWERS}
    made = []
    try:
        # The instructor: the students' copy, the image, and an exchange everyone may write (nbgrader's docs).
        leaks = handout.build_handout(tmp / "handout", say=lambda _: None)
        assert leaks == [], leaks
        student_image(tmp / "image", tmp / "handout")
        exchange = tmp / "exchange"
        exchange.mkdir()
        exchange.chmod(0o1777)
        course = tmp / "course"
        course.mkdir(mode=0o700)
        release, solutions = new_course(course, extra_config=f"c.Exchange.root = {str(exchange)!r}")
        run_nbgrader("release_assignment", ASSIGNMENT, cwd=course)

        # The students, each in their own account, configured as a hub configures them (exchange and course id).
        (tmp / "home").mkdir()
        for role, student in students.items():
            make_user(student.user, student.home)
            made.append(student.user)
            config = student.home / ".jupyter" / "nbgrader_config.py"
            config.parent.mkdir()
            config.write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
                              f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
            student.nbgrader("fetch_assignment", ASSIGNMENT)
            fetched = nbformat.read(student.notebook, as_version=4)
            nbformat.write(filled(fetched, {**solutions, **(ANSWERS[role] or {})}), student.notebook)
            for path in (config.parent, config, student.notebook):
                shutil.chown(path, student.user, student.user)
            student.run(str(student.python), "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        "--allow-errors", "--ExecutePreprocessor.timeout=300", student.notebook.name,
                        cwd=student.notebook.parent)
            student.nbgrader("submit", ASSIGNMENT)

        run_nbgrader("collect", ASSIGNMENT, cwd=course)
        run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
        run_nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
        run_nbgrader("release_feedback", ASSIGNMENT, cwd=course)
        for student in students.values():
            student.nbgrader("fetch_feedback", ASSIGNMENT)
            student.run(str(student.python), "-c", READABLE, str(exchange), str(student.home / "seen"))
        yield {"course": course, "exchange": exchange, "students": students, "tmp": tmp}
    finally:
        for user in made:
            subprocess.run([USERDEL, user], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_the_gradebook_has_full_marks_and_the_mistake_lost(exchange_run):
    """Does the right student get every point, and the mistaken one lose exactly q_sample's, after collect and
    autograde of what came through the exchange?"""
    course, students = exchange_run["course"], exchange_run["students"]
    right = cell_scores(course, students["right"].user)
    assert sum(right.values()) == TOTAL, right
    mistaken = cell_scores(course, students["mistaken"].user)
    lost = {grade_id: right[grade_id] - score for grade_id, score in mistaken.items() if score != right[grade_id]}
    assert lost == {f"test_{MISTAKEN_TASK}_sanity": TASKS[MISTAKEN_TASK].points_sanity,
                    f"test_{MISTAKEN_TASK}_hidden": TASKS[MISTAKEN_TASK].points_hidden}, lost


def test_the_visible_checks_ran_in_the_fetched_copy(exchange_run):
    """In each student's own fetched copy, run by the student image's Python, did every visible check pass, but
    q_sample's for the mistaken student, which fails naming the mistake?"""
    students = exchange_run["students"]
    right = visible_tests(nbformat.read(students["right"].notebook, as_version=4))
    assert sorted(right) == sorted(f"test_{task}_sanity" for task in TASKS)
    for grade_id, cell in right.items():
        assert not errors(cell) and "passed" in "".join(o.get("text", "") for o in cell.outputs), grade_id
    mistaken = visible_tests(nbformat.read(students["mistaken"].notebook, as_version=4))
    failed = {grade_id: errors(cell) for grade_id, cell in mistaken.items() if errors(cell)}
    assert list(failed) == [f"test_{MISTAKEN_TASK}_sanity"], failed
    assert DIAGNOSES["swapped_q_coefficients"].sentence in failed[f"test_{MISTAKEN_TASK}_sanity"][0]


def test_the_student_image_imports_the_checks_and_nothing_of_the_instructors(exchange_run):
    """In the fetched assignment's folder, as the student, do the checks come from the installed hand-out, and are
    the grading side's modules (hidden seed, nbgrader steps) absent?"""
    student = exchange_run["students"]["right"]
    probe = ("import importlib.util, graders.student.checks, reference\n"
             "print(graders.student.checks.__file__, reference.__file__)\n"
             "def found(m):\n"
             "    try:\n"
             "        return importlib.util.find_spec(m) is not None\n"
             "    except ModuleNotFoundError:  # its package is absent too\n"
             "        return False\n"
             "print([m for m in ('graders.nbgrader.hidden_seed', 'graders.nbgrader.grade', 'graders.nbgrader.leak_scan',"
             " 'graders.batch', 'lab_app') if found(m)])")
    out = student.run(str(student.python), "-c", probe, cwd=student.notebook.parent).stdout.splitlines()
    image = exchange_run["tmp"] / "image"
    assert all(Path(f).is_relative_to(image) for f in out[0].split()), out
    assert out[1] == "[]", out


def test_each_student_fetched_feedback_naming_their_mistake(exchange_run):
    """Did fetch_feedback bring each student their own page: the mistake named for the mistaken one, none for the
    right one?"""
    pages = {role: list((s.home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
             for role, s in exchange_run["students"].items()}
    assert all(len(found) == 1 for found in pages.values()), pages
    sentence = DIAGNOSES["swapped_q_coefficients"].sentence
    assert sentence in text_of(pages["mistaken"][0])
    assert sentence not in text_of(pages["right"][0])
    assert f"{TOTAL}" in text_of(pages["right"][0])


def hidden_tests(course: Path) -> list[str]:
    """The code of every hidden test cell of the course's source notebook (between nbgrader's markers)."""
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    found = [code.strip() for cell in source.cells
             for code in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)]
    assert found
    return found


def test_nothing_a_student_can_read_holds_an_answer_or_the_seed(exchange_run):
    """Does every exchange file a student's account can read, and the student image, pass the leak scan and hold no
    hidden test's code; and does nothing a student got, the fetched feedback included, hold the hidden seed?"""
    course, students = exchange_run["course"], exchange_run["students"]
    known = leak_scan.course_solutions()
    seed = (course / "hidden_seed.txt").read_text().strip()
    assert seed.isdigit()
    hidden = hidden_tests(course)
    base = str(exchange_run["tmp"] / "image")
    image = Path(sysconfig.get_path("purelib", vars={"base": base, "platbase": base}))
    for student in students.values():
        seen = student.home / "seen"
        assert (seen / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert not list(seen.glob(f"{COURSE_ID}/inbound/*")), "a student could read the inbound submissions"
        for folder in (seen, image / "graders", image / "reference"):
            count, leaks = leak_scan.scan(folder, known)
            assert count and leaks == [], leaks
        for path in (p for p in [*seen.rglob("*"), *image.rglob("*.py")] if p.is_file()):
            text = path.read_text(errors="replace")
            assert seed not in text, f"{path} holds the hidden seed"
            assert not [code for code in hidden if code in text], f"{path} holds a hidden test"
        for page in (student.home / ASSIGNMENT / "feedback").rglob("*.html"):
            assert seed not in page.read_text(), f"{page} holds the hidden seed"


def test_the_fetched_feedback_holds_no_hidden_test(exchange_run):
    """Does the feedback a student fetched leave out the hidden test cells' code, as everything students get must?"""
    hidden = hidden_tests(exchange_run["course"])
    for student in exchange_run["students"].values():
        for page in (student.home / ASSIGNMENT / "feedback").rglob("*.html"):
            shown = text_of(page)
            assert not [code for code in hidden if code in shown], f"{page} shows the hidden tests' code"
