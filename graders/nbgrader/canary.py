"""The canary: before a batch writes any grade, the instructor's own solution is graded by the same machinery.

    canary(source_notebook, plans)      # GradingFault unless it passes every check with no point off

A course seed that makes a check unfair, a broken sandbox, a stale Python environment or a task spec out of step with
the notebook would otherwise grade every student wrong; the instructor's solution (assignments/source/) is the one
submission whose grade is known in advance: full marks. Each front end runs this first (graders/nbgrader/grade.py once
per process and assignment, graders/batch/autograde.py and graders/compare/ once per batch) and grades nobody when it
fails. A passed canary is remembered for the process, keyed by the notebook's path, its modification time and the
checks, so a class graded in one process pays for it once.
"""
from __future__ import annotations

import threading
from pathlib import Path

import nbformat

from ..engine import notebook
from ..engine.faults import GradingFault
from ..engine.judging import Plan
from ..sandbox import runner

_passed: set[tuple] = set()
_lock = threading.Lock()


def read_source(source: Path) -> nbformat.NotebookNode:
    """The instructor's notebook `source`; GradingFault if it cannot be read."""
    try:
        return nbformat.read(source, as_version=4)
    except (OSError, ValueError) as e:
        raise GradingFault(f"the canary, the instructor's solution {source}, cannot be read ({e}); nothing was "
                           f"graded") from None


def canary(source: Path, plans: list[Plan]) -> None:
    """Grade the instructor's notebook `source` on `plans`; GradingFault naming every check it does not pass."""
    try:
        key = (str(Path(source).resolve()), Path(source).stat().st_mtime_ns,
               tuple((p.spec.name, p.level, tuple(c.seed for c in p.cases)) for p in plans))
    except OSError as e:
        raise GradingFault(f"the canary, the instructor's solution {source}, cannot be read ({e}); nothing was graded")
    with _lock:
        if key in _passed:
            return
        graded = runner.grade_cells(notebook.worker_cells(read_source(source)), plans)
        short = [r for r in graded.results.values() if not r.passed or r.points_lost]
        if short:
            first = short[0].message.splitlines()[0] if short[0].message else short[0].status
            raise GradingFault(f"the canary, the instructor's solution {source}, did not get full marks "
                               f"({', '.join(f'{r.task} {r.level}' for r in short)}: {first}); nothing was graded. "
                               f"Fix the grading (or the solution) and grade again.")
        _passed.add(key)
