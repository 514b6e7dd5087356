"""Does `pip install .` give a working lab away from the repository: the `ddpm-lab` command, the reference with its
weights, the graders, and a course folder elsewhere that grades with them?

One install, shared by the tests: a fresh venv that sees this venv's libraries through a .pth file (no download),
and the project installed into it with `pip install --no-deps --no-build-isolation` from a copy of the tree (pip
builds in the tree it installs from). Everything then runs in a temporary folder, without PYTHONPATH, so that
nothing comes from the checkout.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from pathlib import Path

import nbformat
import pytest

from course import TASKS, TOTAL, cell_scores, solution_sources, write_submission
from graders.sandbox.confine import isolation_problem

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "build", "*.egg-info", ".pytest_cache",
                                     ".hypothesis", "tests", "bench", "report", "runs")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """{"python", "bin", "site", "away"}: the fresh venv's Python, its scripts, its site-packages, and an empty
    folder to run in."""
    tmp = tmp_path_factory.mktemp("packaging")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "ddpm-lab-libraries.pth").write_text(sysconfig.get_path("purelib") + "\n")
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=NOT_SHIPPED)
    python = venv / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-cache-dir", str(tree)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    shutil.rmtree(tree)  # only the installed copy is left
    away = tmp / "away"
    away.mkdir()
    return {"python": python, "bin": venv / "bin", "site": site, "away": away}


def run(installed: dict, *argv: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`argv` in the fresh venv (its scripts first on PATH), in the empty folder, without PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # then this venv's scripts, as the .pth gives its libraries: nbgrader runs alembic from PATH
    env["PATH"] = os.pathsep.join([str(installed["bin"]), str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.run(argv, cwd=cwd or installed["away"], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_command_says_how_to_use_it(installed):
    """Does `ddpm-lab` list its three commands, and does a bad invocation print usage (exit 2), never a traceback?"""
    helped = run(installed, "ddpm-lab", "--help")
    assert helped.returncode == 0 and all(f"ddpm-lab {c}" in helped.stdout for c in ("serve", "grade", "compare"))
    for argv, said in [((), "no command given"), (("grade-all",), "unknown command 'grade-all'"),
                       (("grade",), "usage: ddpm-lab grade"), (("compare", "--jobs", "many"), "usage: ddpm-lab compare")]:
        bad = run(installed, "ddpm-lab", *argv)
        assert bad.returncode == 2 and said in bad.stderr and "Traceback" not in bad.stderr, (argv, bad.stderr)
    helped = run(installed, "ddpm-lab", "serve", "--help")
    assert helped.returncode == 0 and "usage: ddpm-lab serve" in helped.stdout, helped.stderr


def test_the_lab_and_its_weights_come_from_the_install(installed):
    """Away from the checkout, do the reference, its committed weights, the graders (with the feedback page's
    template) and the lab's release load from the installed package?"""
    probe = ("import graders.student.checks, graders.nbgrader.build_release as r, reference\n"
             "from graders.nbgrader.feedback.exporter import TEMPLATES\n"
             "assert sorted(p.name for p in (TEMPLATES / 'ddpm_feedback').iterdir()) == "
             "['conf.json', 'feedback.css', 'index.html.j2'], list(TEMPLATES.rglob('*'))\n"
             "from reference.checkpoints import available_checkpoints, load_checkpoint\n"
             "names = available_checkpoints()\n"
             "load_checkpoint('moons')\n"
             "print(graders.student.checks.__file__, reference.__file__, r.RELEASE)\n"
             "print(len(names), len(list(r.RELEASE.glob('*.ipynb'))))")
    out = run(installed, str(installed["python"]), "-c", probe)
    assert out.returncode == 0, out.stderr[-3000:]
    files, counts = out.stdout.splitlines()
    assert all(Path(f).is_relative_to(installed["site"]) for f in files.split()), files
    from reference.checkpoints import available_checkpoints

    assert counts.split() == [str(len(available_checkpoints())), "2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_the_installed_lab(installed):
    """Does `ddpm-lab serve` start Streamlit on the installed streamlit_app.py (its health check answers), with the
    lab's Streamlit settings installed beside it, and does that script run the Home page without an exception?"""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server = subprocess.Popen([str(installed["bin"] / "ddpm-lab"), "serve", "--server.headless=true",
                               f"--server.port={port}"], cwd=installed["away"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None and health != b"ok":
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).read()
            except OSError:
                time.sleep(1)
        assert health == b"ok", server.stdout.read() if server.poll() is not None else "no answer in 120 s"
    finally:
        server.terminate()
        server.wait(30)
    settings = run(installed, str(installed["python"]), "-c",
                   "import importlib.util, pathlib\nfrom lab_app import command\n"
                   "print(command.streamlit_settings(pathlib.Path(importlib.util.find_spec('streamlit_app').origin)))")
    assert settings.returncode == 0, settings.stderr[-3000:]
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert all(f"--{section}.{key}=" in settings.stdout for section, keys in config.items() for key in keys)
    app_test = ("import importlib.util, lab_app\n"
                "from streamlit.testing.v1 import AppTest\n"
                "at = AppTest.from_file(importlib.util.find_spec('streamlit_app').origin, default_timeout=240).run()\n"
                "assert not at.exception, [e.message for e in at.exception]\n"
                "print(lab_app.__file__, len(at.main.children))")
    ran = run(installed, str(installed["python"]), "-c", app_test)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert Path(ran.stdout.split()[0]).is_relative_to(installed["site"])


def released_course(installed: dict, course: Path) -> Path:
    """The course's config and source notebooks copied to `course`, out of the checkout, and ddpm_core released
    there by the installed lab's nbgrader."""
    course.mkdir()
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    made = run(installed, str(installed["python"]), "-m", "nbgrader", "generate_assignment", "ddpm_core", cwd=course)
    assert made.returncode == 0, made.stderr[-3000:]
    return course


def test_a_course_folder_elsewhere_uses_the_installed_graders(installed, tmp_path):
    """Does nbgrader_config.py load in a course copied out of the checkout, importing the installed graders; does it
    stop nbgrader, saying why, where no lab is installed (nbgrader would go on without the config); and may the
    installed lab's environment be sandboxed (it holds no course)?"""
    course = released_course(installed, tmp_path / "course")
    assert (course / "release" / "ddpm_core" / "ddpm_core.ipynb").is_file()

    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    refused = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "ddpm_core", "--force"],
                             cwd=course, env=bare, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "cannot import the lab's graders (No module named 'graders')" in refused.stderr

    roots = run(installed, str(installed["python"]), "-c",
                "from graders.sandbox import confine; print(confine.python_roots())")
    assert roots.returncode == 0, roots.stderr[-3000:]


@pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                    reason=f"grading needs a working sandbox run as root ({isolation_problem() or 'not root'})")
def test_the_installed_lab_grades_a_class(installed, tmp_path):
    """Does `ddpm-lab grade` of the installed lab, on a course folder out of the checkout, grade a right and a
    mistaken student confined, as the checkout does: full marks, and q_sample's 5 points off?"""
    course = released_course(installed, tmp_path / "course")
    release = nbformat.read(course / "release" / "ddpm_core" / "ddpm_core.ipynb", as_version=4)
    solutions = solution_sources(nbformat.read(course / "source" / "ddpm_core" / "ddpm_core.ipynb", as_version=4))
    write_submission(course, "right", release, solutions)
    mistake = (ROOT / "tests" / "graders" / "submissions" / "ddpm_core" / "q_sample__missing_sqrt.py").read_text()
    write_submission(course, "mistaken", release, {**solutions, "q_sample": mistake})
    graded = run(installed, str(installed["bin"] / "ddpm-lab"), "grade", "ddpm_core", "--course", str(course),
                 "--workers", "2", "--no-progress", timeout=900)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-3000:]
    assert "GRADING IS NOT ISOLATED" not in graded.stdout + graded.stderr
    scores = {s: sum(cell_scores(course, s).values()) for s in ("right", "mistaken")}
    assert scores == {"right": TOTAL, "mistaken": TOTAL - TASKS["q_sample"].points}, scores
