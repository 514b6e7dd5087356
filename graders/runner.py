"""Grading one submission: its code runs in a confined worker, the grader judges what comes back.

    graded = grade_cells(cells, [plan(spec, level) for …])   # graded.results[(task, level)]

The worker (graders/worker.py) runs in a sandbox of its own (graders/confine.py) and sends plain JSON lines.
This process trusts none of it: it checks each message's form and order, gives every check a wall-clock
deadline, and judges the numbers with graders/engine.py. So:

- a worker that dies mid-check (os._exit, posix._exit, a native crash, memory beyond its limit) costs that check,
  marked `exit`; a fresh worker then runs the remaining checks;
- a worker silent past the deadline is killed with everything it started, and the check is marked `timeout`;
  the same restart follows;
- a message out of protocol stops the worker; the check is marked `error`; the same restart follows;
- a worker that dies, stalls or misbehaves while loading the notebook costs every remaining check.

So a submission's code can cost only its own points, and grading always finishes.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import engine
from .confine import Limits, Mounts, isolation_problem, reap, sandbox
from .engine import Plan
from .results import CheckResult
from .sandbox_users import lease

LOAD_TIMEOUT_S = 60.0  # for starting the worker and running the notebook's top-level statements
CHECK_TIMEOUT_S = 40.0  # per check: the worker's own limit (engine.UNIT_TIME_LIMIT_S) plus one stuck call and slack
MAX_LINE_BYTES = 32 * 2**20
WORKER_FILES = ("__init__.py", "worker.py", "stand_ins.py")


@dataclass
class Graded:
    """One submission's results by (task, level), notes on its code, and how it ran."""

    results: dict[tuple[str, str], CheckResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    processes: int = 0
    runtime_s: float = 0.0
    not_isolated: str | None = None  # why grading ran unconfined, if it did


@functools.lru_cache(maxsize=None)
def worker_kit() -> Path:
    """A folder holding only the worker's files as a package `graders`, readable by the sandbox users."""
    kit = Path(tempfile.mkdtemp(prefix="ddpm-worker-kit-"))
    atexit.register(shutil.rmtree, kit, ignore_errors=True)
    (kit / "graders").mkdir()
    for name in WORKER_FILES:
        shutil.copyfile(Path(__file__).with_name(name), kit / "graders" / name)
    for path in (kit, kit / "graders", *(kit / "graders").iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return kit


class _Worker:
    """One worker process and its pipe, read line by line against a deadline."""

    def __init__(self, job: dict, uid: int, limits: Limits):
        kit = worker_kit()
        self.uid = uid
        argv, env, cwd = sandbox([sys.executable, "-s", "-m", "graders.worker"],
                                 Mounts(read_only=(kit,), env={"PYTHONPATH": str(kit)}), self.uid, limits)
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True)
        payload = json.dumps(job).encode()
        threading.Thread(target=self._feed, args=(payload,), daemon=True).start()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.buffer = bytearray()

    def _feed(self, payload: bytes) -> None:
        try:
            self.process.stdin.write(payload)
            self.process.stdin.close()
        except OSError:
            pass  # the worker died before reading its job: its exit is reported by next_message

    def next_message(self, deadline: float):
        """The next JSON message, or "timeout", "ended" or "garbled"."""
        end = self.buffer.find(b"\n")
        while end < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            if not self.selector.select(left):
                continue
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            if not chunk:
                return "ended"
            found = chunk.find(b"\n")
            end = -1 if found < 0 else len(self.buffer) + found
            self.buffer += chunk
            if end < 0 and len(self.buffer) > MAX_LINE_BYTES:
                return "garbled"
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 1]
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past the parser's depth limit
            return "garbled"
        return message if isinstance(message, list) and message and isinstance(message[0], str) else "garbled"

    def stop(self) -> int | None:
        """Kill the worker and everything it started; its exit code (negative: the signal that ended it)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        code = self.process.wait()
        reap(self.uid)  # the sandbox's own processes outlive bubblewrap by a moment; the next student needs the uid
        self.selector.close()
        self.process.stdout.close()
        return code


def _why(reason: str, code: int | None, limits: Limits, seconds: float) -> tuple[str, str]:
    if reason == "garbled":
        return "error", "its process sent the grader a message out of protocol and was stopped."
    if reason == "timeout":
        return "timeout", f"no result within {seconds:g} s; its process was stopped."
    if code == -signal.SIGXCPU:
        return "timeout", f"its process used up its CPU time ({limits.cpu_s} s) and was stopped."
    return "exit", (f"its process ended (exit code {code}): os._exit, posix._exit, a crash in native code, or "
                    f"memory beyond {limits.memory_gib:g} GiB.")


def grade_cells(cells: list[dict], plans: list[Plan], limits: Limits = Limits(),
                check_timeout_s: float = CHECK_TIMEOUT_S, uid: int | None = None) -> Graded:
    """Run every plan on the notebook `cells` ({label, source, solution}) in confined workers; see the module doc.

    uid: the sandbox user to run as, for a caller holding a lease (graders/sandbox_users.py); by default this
    grading leases a worker user of its own, so process limits stay per submission however many run at once.
    """
    if uid is None:
        with lease("worker") as uid:
            return grade_cells(cells, plans, limits, check_timeout_s, uid)
    graded = Graded(not_isolated=isolation_problem())
    start = time.monotonic()
    todo = list(plans)
    while todo:
        job = {"cells": cells, "units": [p.unit() for p in todo]}
        worker = _Worker(job, uid, limits)
        graded.processes += 1
        done = _run(worker, todo, graded, limits, check_timeout_s)
        todo = todo[done:]
    graded.runtime_s = time.monotonic() - start
    return graded


def _run(worker: _Worker, todo: list[Plan], graded: Graded, limits: Limits, check_timeout_s: float) -> int:
    """Read one worker's messages into graded.results; returns how many plans of `todo` it settled."""
    first = graded.processes == 1
    message = worker.next_message(time.monotonic() + LOAD_TIMEOUT_S)
    if not (isinstance(message, list) and message[0] == "loaded" and len(message) == 2
            and isinstance(message[1], list)):
        reason = message if isinstance(message, str) else "garbled"
        status, why = _why(reason, worker.stop(), limits, LOAD_TIMEOUT_S)
        for p in todo:
            graded.results[(p.spec.name, p.level)] = CheckResult(
                p.spec.name, p.level, False, status, f"{p.spec.name}: while loading the notebook's definitions, {why}")
        return len(todo)
    if first:
        graded.notes += [str(n)[:500] for n in message[1][:50]]
    for index, p in enumerate(todo):
        replies, began = [], time.monotonic()
        deadline = began + check_timeout_s
        while True:
            message = worker.next_message(deadline)
            if isinstance(message, list) and message[0] == "reply" and len(message) == 3 and message[1] == index \
                    and len(replies) < len(p.cases):
                replies.append(message[2])
                continue
            if isinstance(message, list) and message[0] == "unit_done" and message[1:] == [index]:
                graded.results[(p.spec.name, p.level)] = engine.judge(p, replies, None, time.monotonic() - began)
                break
            reason = message if isinstance(message, str) else "garbled"
            stopped = _why(reason, worker.stop(), limits, check_timeout_s)
            graded.results[(p.spec.name, p.level)] = engine.judge(p, replies, stopped, time.monotonic() - began)
            return index + 1
    worker.next_message(time.monotonic() + 5)  # "done"; whatever it says, the worker is finished with
    worker.stop()
    return len(todo)
