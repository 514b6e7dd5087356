"""Does the TA comparison read nbgrader's layout, and keep only definitions from a notebook's code?"""
from __future__ import annotations

import ast

import nbformat
import pytest

from compare_class import write_notebook
from graders.compare import main
from graders.extract import notebook_cells, runnable
from graders.roster import find_submissions

CELL = '''import torch
from math import pi as PI
T = 1000
SHAPE: tuple = (1, 8, 8)
a, b = 1, [2, 3]
square = lambda x: x * x
print("hello")
betas = torch.linspace(1e-4, 0.02, T)
while True:
    pass
import os; os._exit(1)
obj.attr = 3
items[0] = 1
BIG = [0] * 10**10
ODD = [i for i in range(10)]


@torch.no_grad()
def q_sample(x0, t, noise, alpha_bar):
    return x0


class Helper:
    pass
'''


def kept_lines(source: str) -> list[str]:
    return [ast.unparse(module.body[0]).splitlines()[0] for module in runnable(source).statements]


def test_keeps_imports_definitions_and_call_free_assignments():
    """Are imports, defs, classes and call-free name assignments kept, in order, and nothing else?"""
    assert kept_lines(CELL) == ["import torch", "from math import pi as PI", "T = 1000", "SHAPE: tuple = (1, 8, 8)",
                                "a, b = (1, [2, 3])", "square = lambda x: x * x", "import os", "BIG = [0] * 10 ** 10",
                                "@torch.no_grad()", "class Helper:"]


def test_counts_what_it_drops():
    """Does it count the calls, loops, attribute/item assignments and comprehensions it leaves out?"""
    assert runnable(CELL).dropped == 7


def test_keeps_original_line_numbers():
    """Does a kept def keep its line number in the cell, so tracebacks point at the student's line?"""
    (q_sample,) = [m.body[0] for m in runnable(CELL).statements if isinstance(m.body[0], ast.FunctionDef)]
    assert q_sample.body[0].lineno == CELL.splitlines().index("    return x0") + 1


def test_syntax_error_is_reported_not_raised():
    """Does a cell that does not parse give no statements and a SyntaxError line?"""
    r = runnable("def q_sample(x0, t\n    return x0\n")
    assert r.statements == [] and r.syntax_error.startswith("SyntaxError at line")


def test_notebook_cells_read_grade_ids(tmp_path):
    """Are a notebook's code cells read with their grade_id and solution flag?"""
    path = write_notebook(tmp_path / "submitted", "ada", {"q_sample": "def q_sample(x0, t, noise, alpha_bar):\n"})
    cells = {c.grade_id: c for c in notebook_cells(path)}
    assert cells["q_sample"].solution and not cells["setup"].solution
    assert cells["q_sample"].source.startswith("def q_sample")


def test_unreadable_notebook_raises_value_error(tmp_path):
    """Does a file that is not a notebook raise a ValueError that names it?"""
    bad = tmp_path / "x.ipynb"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="x.ipynb is not a readable notebook"):
        notebook_cells(bad)


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


def test_cli_rejects_a_bad_shard(tmp_path, capsys):
    """Does --shard 3/2 stop argparse with a message naming K/N?"""
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--shard", "3/2"])
    assert "1 ≤ K ≤ N" in capsys.readouterr().err
