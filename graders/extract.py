"""What the TA comparison takes from a submitted notebook, and what of it may run.

Reading is safe: `notebook_cells(path)` only parses the JSON. Running is not: a notebook can hold anything, so
`runnable(source)` keeps, from one code cell, only the top-level statements that define things:

- `import` and `from … import …`;
- `def`, `async def` and `class` (decorators included);
- assignments to plain names (`T = 1000`, `x, y = 1, 2`) whose right-hand side calls nothing: literals, names,
  attributes, subscripts, operators, containers and lambdas.

Everything else is dropped: calls (`print`, `fig.show()`, `sys.exit()`, `train()`), loops, `if`/`with`/`try`
blocks, and assignments to attributes or items. So an infinite loop or `os._exit()` at the top of a cell never
runs here, and a function that relies on a global computed by a call (`alpha_bar = torch.cumprod(…)`) sees a
NameError where the notebook would have had the value.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CALL_FREE_FORBIDDEN = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr,
                        ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Cell:
    """One code cell of a notebook: its position, nbgrader grade_id (if any), whether students write it, and source."""

    index: int
    grade_id: str | None
    solution: bool
    source: str


def notebook_cells(path: Path) -> list[Cell]:
    """The code cells of the notebook at `path`, in order; raises ValueError if it is not a readable notebook."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as e:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path} is not a readable notebook: {type(e).__name__}: {e}") from e
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        cells.append(Cell(i, meta.get("grade_id"), bool(meta.get("solution")), cell.source))
    return cells


def _plain_targets(targets: list[ast.expr]) -> bool:
    def plain(t: ast.expr) -> bool:
        return isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(plain(e) for e in t.elts))
    return all(plain(t) for t in targets)


def _call_free(value: ast.expr | None) -> bool:
    """True if evaluating `value` runs no call: lambdas are fine, as their bodies run only when called."""
    if value is None:
        return True
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, _CALL_FREE_FORBIDDEN):
            return False
        if isinstance(node, ast.Lambda):
            stack += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            continue
        stack += list(ast.iter_child_nodes(node))
    return True


def _keeps(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _DEFINITIONS):
        return True
    if isinstance(stmt, ast.Assign):
        return _plain_targets(stmt.targets) and _call_free(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and _call_free(stmt.value) and _call_free(stmt.annotation)
    return False


@dataclass(frozen=True)
class Runnable:
    """The statements of one cell that may run, each as a module of its own (a cell that does not parse has none)."""

    statements: list[ast.Module]
    dropped: int  # top-level statements left out
    syntax_error: str | None = None


def runnable(source: str, filename: str = "<cell>") -> Runnable:
    """The definitions of one code cell (see the module docstring), keeping their original line numbers."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        return Runnable([], 0, f"SyntaxError at line {e.lineno}: {e.msg}")
    kept = [ast.Module(body=[s], type_ignores=[]) for s in tree.body if _keeps(s)]
    return Runnable(kept, len(tree.body) - len(kept))
