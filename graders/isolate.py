"""Grading a whole class, each student in processes of their own, `jobs` students at a time.

`grade_class(submissions, …)` returns one StudentRun per submission. Every student's code runs in a fresh
process forked from a forkserver that has already imported torch and the graders (so a process costs
milliseconds, not the seconds of importing torch), confined by graders/confine.py, and running
graders/student_process.py. The parent only reads what that process sends down its pipe:

- a process that dies mid-task (os._exit, a crash in native code) costs that task, marked `exit`; a fresh
  process then checks the student's remaining tasks;
- a process silent for `task_timeout_s` is killed with everything it started (its session), and the task it
  was on is marked `timeout`; the same restart follows;
- a process that sends anything but the expected messages (graders/messages.py) is killed, and the task it
  was on is marked `error`; the same restart follows;
- a process that dies, stalls or misbehaves while loading the notebook costs all that student's tasks.

So one student's code can cost only that student's points, and the run always finishes. As with any
multiprocessing code, a script calling grade_class needs the `if __name__ == "__main__":` guard: each new
process imports the caller's main module under the name __mp_main__, so only guarded code stays unrun.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterable

from tqdm import tqdm

from . import messages
from .checks import TASKS, CheckResult
from .confine import Limits
from .extract import Cell, notebook_cells
from .student_process import Job, main

LOAD_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Submission:
    """One student's notebook on disk."""

    student: str
    notebook: Path


@dataclass
class StudentRun:
    """Everything the report needs about one student: a CheckResult dict per task, the code, notes, timings."""

    student: str
    notebook: str
    results: dict[str, dict] = field(default_factory=dict)
    solution_cells: dict[str, str] = field(default_factory=dict)  # grade_id -> source, for the similarity review
    notes: list[str] = field(default_factory=list)
    processes: int = 0
    runtime_s: float = 0.0


@dataclass
class _Slot:
    run: StudentRun
    cells: tuple[Cell, ...]
    remaining: list[str]
    process: mp.process.BaseProcess
    conn: object
    scratch: Path
    deadline: float
    started: float
    loaded: bool = False
    done: bool = False
    garbled: bool = False


def _failure(task: str, level: str, status: str, message: str) -> dict:
    return CheckResult(task, level, False, status, f"{task}: {message}").to_dict()


def _context() -> mp.context.BaseContext:
    if "forkserver" not in mp.get_all_start_methods():
        raise RuntimeError("the TA comparison needs multiprocessing's forkserver start method (Linux or macOS)")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["graders.student_process"])
    return ctx


class _Grader:
    """The event loop behind grade_class: start processes, read their pipes, enforce deadlines, restart."""

    def __init__(self, level: str, limits: Limits, task_timeout_s: float, private_roots: tuple[Path, ...],
                 workdir: Path):
        self.level, self.limits, self.task_timeout_s = level, limits, task_timeout_s
        self.private_roots, self.workdir = private_roots, workdir
        self.ctx = _context()

    def start(self, run: StudentRun, cells: tuple[Cell, ...], tasks: list[str]) -> _Slot:
        scratch = Path(tempfile.mkdtemp(prefix="student-", dir=self.workdir))
        job = Job(run.student, cells, tuple(tasks), self.level, scratch, self.private_roots, self.limits)
        receive, send = self.ctx.Pipe(duplex=False)
        process = self.ctx.Process(target=main, args=(send, job), daemon=True)
        process.start()
        send.close()
        run.processes += 1
        now = time.perf_counter()
        return _Slot(run, cells, list(tasks), process, receive, scratch, now + LOAD_TIMEOUT_S, now)

    def read(self, slot: _Slot) -> None:
        """Take every message waiting on the slot's pipe; one out of protocol stops the process."""
        while not slot.done and slot.conn.poll():
            try:
                message = messages.read(slot.conn)
            except (EOFError, OSError):
                return
            expected = slot.remaining[0] if slot.remaining else None
            if message and message[0] == "loaded" and not slot.loaded:
                slot.loaded = True
                if slot.run.processes == 1:
                    slot.run.notes += message[1]
            elif message and message[0] == "result" and slot.loaded and message[1] == expected:
                slot.run.results[expected] = message[2]
                slot.remaining.pop(0)
            elif message and message[0] == "done" and slot.loaded and not slot.remaining:
                slot.done = True
                return
            else:
                slot.garbled = True
                return
            slot.deadline = time.perf_counter() + self.task_timeout_s

    def stop(self, slot: _Slot) -> None:
        """Kill the slot's process and everything it started; remove its scratch folder."""
        try:
            os.killpg(slot.process.pid, signal.SIGKILL)  # its own session, made by confine()
        except (ProcessLookupError, PermissionError):
            pass
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join()
        slot.conn.close()
        shutil.rmtree(slot.scratch, ignore_errors=True)

    def fail_current(self, slot: _Slot, why: str) -> list[str]:
        """Record why the process stopped before finishing (why: "garbled", "timeout" or "ended"); returns the
        tasks still to check in a new process (none if it stopped while loading the notebook)."""
        code = slot.process.exitcode
        if why == "garbled":
            status, text = "error", "its process sent the grader a message out of protocol and was stopped."
        elif why == "timeout":
            seconds = self.task_timeout_s if slot.loaded else LOAD_TIMEOUT_S
            status, text = "timeout", f"no result within {seconds:g} s; its process was stopped."
        elif code == -signal.SIGXCPU:
            status, text = "timeout", f"its process used up its CPU time ({self.limits.cpu_s} s) and was stopped."
        else:
            status, text = "exit", (f"its process ended (exit code {code}): os._exit, posix._exit, a crash in "
                                    f"native code, or memory beyond {self.limits.memory_gib:g} GiB.")
        if not slot.loaded:
            for task in slot.remaining:
                slot.run.results[task] = _failure(task, self.level, status, "while loading the notebook's "
                                                                            "definitions, " + text)
            return []
        if slot.remaining:  # empty if it stopped after its last result, before "done"
            slot.run.results[slot.remaining[0]] = _failure(slot.remaining[0], self.level, status, text)
        return slot.remaining[1:]


def _solution_cells(cells: tuple[Cell, ...]) -> dict[str, str]:
    return {c.grade_id or f"cell {c.index}": c.source for c in cells if c.solution}


def grade_class(submissions: Iterable[Submission], level: str = "full", jobs: int | None = None,
                limits: Limits = Limits(), task_timeout_s: float = 60.0, private_roots: tuple[Path, ...] = (),
                progress: bool = True) -> list[StudentRun]:
    """Check every task of every submission, `jobs` processes at a time; see the module docstring.

    private_roots: folders no student's code may read (the submissions, the report); each student's process
    may write only to a scratch folder of its own, removed afterwards.
    """
    submissions = list(submissions)
    jobs = max(1, jobs or os.cpu_count() or 1)
    tasks = list(TASKS)
    runs: list[StudentRun] = []
    queue: deque[tuple[StudentRun, tuple[Cell, ...], list[str]]] = deque()
    for sub in submissions:
        run = StudentRun(sub.student, str(sub.notebook))
        runs.append(run)
        try:
            cells = tuple(notebook_cells(sub.notebook))
        except ValueError as e:
            run.notes.append(str(e))
            run.results = {t: _failure(t, level, "missing", "the notebook could not be read.") for t in tasks}
            continue
        run.solution_cells = _solution_cells(cells)
        queue.append((run, cells, tasks))
    workdir = Path(tempfile.mkdtemp(prefix="ddpm-compare-"))
    grader = _Grader(level, limits, task_timeout_s, private_roots, workdir)
    bar = tqdm(total=len(submissions), unit="student", disable=not progress)
    bar.update(len(submissions) - len(queue))
    running: list[_Slot] = []
    try:
        while queue or running:
            while queue and len(running) < jobs:
                run, cells, todo = queue.popleft()
                running.append(grader.start(run, cells, todo))
            timeout = max(0.0, min(s.deadline for s in running) - time.perf_counter())
            wait([s.conn for s in running] + [s.process.sentinel for s in running], timeout)
            for slot in list(running):
                ended = not slot.process.is_alive()  # checked first: a dead process's messages are all in the pipe
                grader.read(slot)
                timed_out = time.perf_counter() > slot.deadline
                if not (slot.done or slot.garbled or ended or timed_out):
                    continue
                grader.stop(slot)
                running.remove(slot)
                slot.run.runtime_s += time.perf_counter() - slot.started
                why = "garbled" if slot.garbled else "ended" if ended else "timeout"
                rest = [] if slot.done else grader.fail_current(slot, why)
                if rest:
                    queue.appendleft((slot.run, slot.cells, rest))
                else:
                    bar.update(1)
    finally:
        for slot in running:
            grader.stop(slot)
        bar.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return runs
