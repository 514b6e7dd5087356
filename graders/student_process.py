"""What runs inside the process of one student: confine it, load the notebook's definitions, run the checks.

The parent (graders/isolate.py) starts `main(conn, job)` in a fresh process and reads the messages it sends
(graders/messages.py): "loaded" with notes on what was skipped or failed, one "result" per task in job.tasks
order, then "done".

Each definition the extraction keeps (graders/extract.py) runs on its own through sandbox.call_student, within
STATEMENT_TIME_LIMIT_S: one that raises, exits or overruns is skipped and the rest still run (the calls they might
have needed were dropped anyway). Problems are noted for the solution cells (those students write), not for the rest.
"""
from __future__ import annotations

import builtins
import linecache
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from . import messages, sandbox
from .checks import run_check
from .confine import Limits, confine
from .extract import Cell, runnable

STATEMENT_TIME_LIMIT_S = 10.0


@dataclass(frozen=True)
class Job:
    """One student's work order: the code cells, which tasks to check at which level, and where it may write."""

    student: str
    cells: tuple[Cell, ...]
    tasks: tuple[str, ...]
    level: str
    scratch: Path
    private_roots: tuple[Path, ...]
    limits: Limits


def _silence_output() -> None:
    """Send the process's own stdout and stderr to /dev/null, so nothing a student writes reaches the TA's terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def load_definitions(student: str, cells: tuple[Cell, ...]) -> tuple[dict, list[str]]:
    """Run the definitions of every code cell in one fresh namespace; returns it and a note per problem."""
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    notes: list[str] = []
    for cell in cells:
        label = f"cell {cell.index}" + (f" ({cell.grade_id})" if cell.grade_id else "")
        filename = f"<{student} {label}>"
        kept = runnable(cell.source, filename)
        if kept.syntax_error and cell.solution:
            notes.append(f"{label} was not run: {kept.syntax_error}")
        if kept.dropped and cell.solution:
            notes.append(f"{label}: {kept.dropped} top-level statement(s) not run (calls, loops, blocks)")
        linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
        for statement in kept.statements:
            code = compile(statement, filename, "exec")
            call = sandbox.call_student(exec, code, namespace, time_limit=STATEMENT_TIME_LIMIT_S)
            if call.kind != "ok" and cell.solution:
                first_line = str(call.error).splitlines()[0][:200] if call.error and str(call.error) else ""
                notes.append(f"{label}, line {statement.body[0].lineno} skipped ({call.kind}): "
                             f"{type(call.error).__name__}: {first_line}")
    return namespace, notes


def main(conn, job: Job) -> None:
    """Confine this process, load the student's definitions, and send each task's result down `conn`."""
    _silence_output()
    confine(job.scratch, job.private_roots, job.limits)
    torch.set_num_threads(1)
    namespace, notes = load_definitions(job.student, job.cells)
    messages.send(conn, "loaded", notes)
    for task in job.tasks:
        messages.send(conn, "result", task, run_check(task, namespace.get(task), job.level).to_dict())
    messages.send(conn, "done")
    conn.close()
