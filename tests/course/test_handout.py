"""Is the students' copy (`python -m graders.nbgrader.handout DEST`) free of every answer, and do its notebooks run where
students run them?

The leak scan (graders/nbgrader/leak_scan.py) must pass on the copy and fail, naming the file and the function, on a copy with
a solution planted in it: tests/support/compare_styles.py, the instructor's answer renamed and reformatted in a .py file, in a
string literal, in a notebook's code or Markdown cell, in a Markdown file. Those run on the committed release
(fast). The slow tests build a real hand-out (nbgrader runs: ~25 s) and run its notebooks in a plain python3 Jupyter
kernel from a copy outside the repository, with no path to it: with the instructor's answers every visible test cell
passes; with the stubs each fails on NotImplementedError, not on a missing module.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from graders.nbgrader import handout, leak_scan
from graders.engine.notebook import is_test, solution_cells
from graders.nbgrader.build_release import RELEASE

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "assignments" / "source"
pytestmark = pytest.mark.skipif(not SOURCE.is_dir(), reason="assignments/source/ (the instructor's files) is absent")
STUDENT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def answers(assignment: str) -> dict[str, str]:
    """grade_id -> the instructor's answer cell of `assignment`."""
    return solution_cells(nbformat.read(SOURCE / assignment / f"{assignment}.ipynb", as_version=4))


def renamed(source: str, names: dict[str, str]) -> str:
    """`source` as a copier would hand it on: reformatted, comments gone, identifiers renamed."""
    source = ast.unparse(ast.parse(source))
    for old, new in names.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


@pytest.fixture(scope="module")
def known() -> list[leak_scan.Solution]:
    return leak_scan.course_solutions()


@pytest.fixture(scope="module")
def graded() -> dict:
    return leak_scan.graded_signatures()


@pytest.fixture
def small_copy(tmp_path) -> Path:
    """A copy holding only the committed release: enough to plant an answer in."""
    shutil.copytree(RELEASE, tmp_path / "notebooks")
    return tmp_path


# --- planted answers ----------------------------------------------------------------------------------------------


def plant_compare_styles(copy: Path) -> tuple[str, list[str]]:
    (copy / "tests" / "support").mkdir(parents=True)
    shutil.copy2(ROOT / "tests" / "support" / "compare_styles.py", copy / "tests" / "support" / "compare_styles.py")
    return "tests/support/compare_styles.py", ["q_sample", "posterior_mean", "eps_loss", "sample_loop"]


def plant_renamed_py(copy: Path) -> tuple[str, list[str]]:
    source = renamed(answers("ddpm_core")["posterior_mean"],
                     {"posterior_mean": "mean_of_q", "alpha_bar_prev": "before", "alpha_bar": "cum", "alphas": "a",
                      "betas": "b", "coef_x0": "c0", "coef_xt": "c1", "x0": "data", "x_t": "noisy", "shape": "s"})
    assert "posterior_mean" not in source and "alpha_bar" not in source and "#" not in source
    (copy / "helpers").mkdir()
    (copy / "helpers" / "posterior.py").write_text("import torch\n\n\n" + source)
    return "helpers/posterior.py", ["def mean_of_q", "ddpm_core/posterior_mean"]


def plant_string_literal(copy: Path) -> tuple[str, list[str]]:
    (copy / "notes.py").write_text(f'"""Worked examples."""\nEXAMPLE = {answers("ddpm_core")["sample_loop"]!r}\n')
    return "notes.py", ["a string literal at line 2", "sample_loop"]


def plant_code_cell(copy: Path) -> tuple[str, list[str]]:
    path = copy / "notebooks" / "ddpm_beyond.ipynb"
    nb = nbformat.read(path, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "kl_term"]
    cell.source = answers("ddpm_beyond")["kl_term"]
    nbformat.write(nb, path)
    return "notebooks/ddpm_beyond.ipynb", ["def kl_term", "ddpm_beyond/kl_term"]


def plant_markdown_file(copy: Path) -> tuple[str, list[str]]:
    source = renamed(answers("ddpm_beyond")["ddim_step"], {"ddim_step": "one_step", "eps_pred": "e", "ab_prev": "p"})
    (copy / "HINTS.md").write_text(f"# Hints\n\nTask 2 goes like this:\n\n```python\n{source}\n```\n")
    return "HINTS.md", ["def one_step", "ddpm_beyond/ddim_step"]


def plant_markdown_cell(copy: Path) -> tuple[str, list[str]]:
    path = copy / "notebooks" / "ddpm_core.ipynb"
    nb = nbformat.read(path, as_version=4)
    source = renamed(answers("ddpm_core")["eps_loss"], {"eps_loss": "simple_loss", "ab": "k", "x0": "x"})
    nb.cells.append(nbformat.v4.new_markdown_cell(f"A hint:\n\n```\n{source}\n```"))
    nbformat.write(nb, path)
    return "notebooks/ddpm_core.ipynb", ["def simple_loss", "ddpm_core/eps_loss"]


PLANTS = [plant_compare_styles, plant_renamed_py, plant_string_literal, plant_code_cell, plant_markdown_file,
          plant_markdown_cell]


def test_the_release_alone_passes_the_scan(small_copy, known, graded):
    """Do the committed notebooks, stubs and all, pass the scan (so a failure below is the planted answer's)?"""
    assert len(known) == 8  # four answer cells in each assignment
    assert leak_scan.scan(small_copy, known, graded) == (2, [])


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: p.__name__.removeprefix("plant_"))
def test_the_scan_names_a_planted_answer(small_copy, known, graded, plant):
    """Does the scan fail on a copy with one answer planted in it, naming the file and the function?"""
    path, named = plant(small_copy)
    _, leaks = leak_scan.scan(small_copy, known, graded)
    assert leaks, f"nothing found in {path}"
    assert {leak.path for leak in leaks} == {path}
    text = "\n".join(map(str, leaks))
    for name in named:
        assert name in text, text


def test_the_scan_command_fails_on_a_leak(small_copy, capsys):
    """Does `python -m graders.nbgrader.leak_scan DIR` exit 1 and print each leak?"""
    plant_compare_styles(small_copy)
    assert leak_scan.main([str(small_copy)]) == 1
    out, err = capsys.readouterr()
    assert "tests/support/compare_styles.py, a string literal at line 9, line 1: def q_sample" in err
    assert "findings" in out


def test_the_handout_command_refuses_a_folder_in_use(tmp_path, capsys):
    """Does `python -m graders.nbgrader.handout` refuse a non-empty folder (without --force) and the repository, clearly?"""
    (tmp_path / "mine.txt").write_text("keep me")
    assert handout.main([str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err and (tmp_path / "mine.txt").is_file()
    assert handout.main([str(ROOT)]) == 2
    assert "holds this repository" in capsys.readouterr().err


# --- the real hand-out ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list, list[str]]:
    """(DEST, the leaks found, what it printed) of one `graders.nbgrader.handout` build."""
    dest = tmp_path_factory.mktemp("handout") / "ddpm-lab-students"
    said: list[str] = []
    leaks = handout.build_handout(dest, say=said.append)
    return dest, leaks, said


@pytest.mark.slow
def test_the_handout_holds_what_students_need_and_no_answer(built):
    """Does the copy hold the notebooks, the checks' modules, requirements and a README, none of the instructor's
    files, and pass the scan?"""
    dest, leaks, said = built
    assert leaks == []
    assert sorted(p.name for p in dest.iterdir()) == ["README.md", "graders", "notebooks", "pyproject.toml",
                                                      "reference", "requirements.txt"]
    files = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    assert {"notebooks/ddpm_core.ipynb", "notebooks/ddpm_beyond.ipynb", "graders/student/checks.py",
            "reference/__init__.py"} <= files
    for absent in ["graders/nbgrader/handout.py", "graders/nbgrader/leak_scan.py", "graders/nbgrader/grade.py", "graders/engine/notebook.py",
                   "graders/nbgrader/hidden_seed.py"]:
        assert absent not in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(("nbgrader_config.py", "hidden_seed.txt", ".db"))]
    assert "torch" in (dest / "requirements.txt").read_text()
    assert "jupyter lab notebooks/" in (dest / "README.md").read_text()
    assert said[-1].endswith("no leak") and "copied" in said[1]


def execute(notebook: Path, allow_errors: bool) -> nbformat.NotebookNode:
    """Run `notebook` as Jupyter would: a python3 kernel in its folder, without PYTHONPATH; cells tagged
    skip-execution (plots) are skipped, as in the autograder."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import graders.student.checks, reference\n"
                                              "print(graders.student.checks.__file__, reference.__file__)"))
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute(env=STUDENT_ENV)
    return nb


def visible_tests(nb: nbformat.NotebookNode) -> list:
    """The test cells a released notebook runs (a hidden one keeps only its docstring there)."""
    return [c for c in nb.cells if is_test(c) and "raise_if_failed" in c.source]


def errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.fixture
def student_copy(built, tmp_path) -> Path:
    """The hand-out copied to a folder of its own, as a student downloads it."""
    copy = tmp_path / "my-course"
    shutil.copytree(built[0], copy)
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["ddpm_core", "ddpm_beyond"])
def test_visible_checks_pass_outside_the_repository(student_copy, assignment):
    """With the instructor's answers pasted in, does every visible test cell pass in a plain kernel run from the
    copy, importing the checks from the copy?"""
    path = student_copy / "notebooks" / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    given = answers(assignment)
    for cell in nb.cells:
        if (grade_id := cell.metadata.get("nbgrader", {}).get("grade_id")) in given:
            cell.source = given[grade_id]
    nbformat.write(nb, path)
    ran = execute(path, allow_errors=False)
    tests = visible_tests(ran)
    assert len(tests) == 4
    for cell in tests:
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert "passed" in printed, (cell.metadata.nbgrader.grade_id, printed)
    origin = ran.cells[-1].outputs[0].text.split()
    assert all(Path(f).is_relative_to(student_copy) for f in origin), origin


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ["ddpm_core", "ddpm_beyond"])
def test_stubs_fail_on_not_implemented_not_on_imports(student_copy, assignment):
    """With the stubs left in, does each visible test cell fail because the function is not written yet (and never
    because the checks cannot be imported)?"""
    ran = execute(student_copy / "notebooks" / f"{assignment}.ipynb", allow_errors=True)
    assert not [e for c in ran.cells for e in errors(c) if "ModuleNotFoundError" in e]
    for cell in visible_tests(ran):
        [error] = errors(cell)
        assert "raised NotImplementedError" in error, error


SETUP = [c.source for c in nbformat.read(RELEASE / "ddpm_core.ipynb", as_version=4).cells
         if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup"][0]


@pytest.mark.slow
def test_the_setup_cell_away_from_the_copy(student_copy, tmp_path):
    """Away from the copy, does the setup cell say what to do, and does it import the copy once installed?"""
    away = tmp_path / "fetched" / "ddpm_core"
    away.mkdir(parents=True)
    lost = subprocess.run([sys.executable, "-c", SETUP], cwd=away, env=STUDENT_ENV, capture_output=True, text=True)
    assert lost.returncode != 0
    assert "ModuleNotFoundError: The course's checks (graders/) are not here. Open this notebook inside" in lost.stderr

    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--target", str(site), str(student_copy)], capture_output=True, text=True, env=STUDENT_ENV)
    assert pip.returncode == 0, pip.stderr[-2000:]
    shutil.rmtree(student_copy)  # only the installed copy is left
    found = subprocess.run([sys.executable, "-c", SETUP + "\nprint(graders.student.checks.__file__)"], cwd=away,
                           env=dict(STUDENT_ENV, PYTHONPATH=str(site)), capture_output=True, text=True)
    assert found.returncode == 0, found.stderr[-2000:]
    assert Path(found.stdout.split()[-1]).is_relative_to(site)
