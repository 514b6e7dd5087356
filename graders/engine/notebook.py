"""What the grader takes from a notebook: the code cells a worker runs, and the solution cells for review.

Reading is safe (it only parses JSON). The worker gets every code cell except the graded test cells (the checks
are the grader's business, and hidden tests never leave it) and the cells tagged `skip-execution` (plots, which
nbgrader skips too); it runs their top-level statements one by one (graders/sandbox/worker.py).
"""
from __future__ import annotations

import ast
import re

import nbformat


def reads(text: str | None, name: str) -> nbformat.NotebookNode:
    """The notebook whose JSON is `text` (None: a file that could not be read as UTF-8 text); raises ValueError
    naming `name` if it is not a readable notebook."""
    if text is None:
        raise ValueError(f"{name} could not be read as UTF-8 text")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as e:  # noqa: BLE001 - any unreadable notebook is reported the same way
        raise ValueError(f"{name} is not a readable notebook: {type(e).__name__}: {str(e)[:200]}") from e


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test(cell) -> bool:
    """A graded test cell: nbgrader's grade=True on code students cannot edit."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def worker_cells(nb: nbformat.NotebookNode) -> list[dict]:
    """The code cells a worker runs, as {label, source, solution}, in order."""
    out = []
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or is_test(cell) or "skip-execution" in tags:
            continue
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        label = f"cell {i}" + (f" ({grade_id})" if isinstance(grade_id, str) else "")
        source = cell.get("source", "")
        out.append({"label": label[:100], "source": source if isinstance(source, str) else "",
                    "solution": bool(meta.get("solution"))})
    return out


def solution_cells(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> source of every cell students write, for the similarity review."""
    return {(_nbgrader(c).get("grade_id") or f"cell {i}"): c.get("source", "") for i, c in enumerate(nb.cells)
            if c.get("cell_type") == "code" and _nbgrader(c).get("solution")}


_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


def syntax_errors(cells: list[dict]) -> dict[str, str]:
    """function name -> "cell 5 (q_sample), line 4: expected ':' (def q_sample(x0, t))" for each function that a
    solution cell which does not parse defines (by its `def` line, as text).

    Parsed here, in the grader, from the notebook itself: the worker's own notes on what failed to load are the
    student's process's word, and only say that a cell failed, not which functions it held.
    """
    out: dict[str, str] = {}
    for cell in cells:
        if not cell["solution"]:
            continue
        try:
            ast.parse(cell["source"])
        except SyntaxError as e:
            shown = f" ({e.text.strip()[:100]})" if isinstance(e.text, str) and e.text.strip() else ""
            where = f"{cell['label']}, line {e.lineno}: {e.msg}{shown}"
        except (ValueError, RecursionError, MemoryError) as e:  # null bytes, nesting too deep for the parser
            where = f"{cell['label']}: {type(e).__name__}: {str(e)[:100]}"
        else:
            continue
        for name in _DEF.findall(cell["source"]):
            out.setdefault(name, where)
    return out
