"""Grading one submission: its code runs in a confined worker, the grader judges what comes back.

    graded = grade_cells(cells, [plan(spec, level) for …])   # graded.results[(task, level)]

The worker (graders/sandbox/worker.py) runs in a sandbox of its own (graders/sandbox/confine.py) and sends plain JSON
lines. This process trusts none of it: it checks each message's form and order, gives every check a wall-clock deadline,
and judges the numbers with graders/engine/judging.py. So:

- a worker that dies mid-check (os._exit, posix._exit, a native crash, memory beyond its limit) costs that check,
  marked `exit`; a fresh worker then runs the remaining checks;
- a worker silent past the deadline is killed with everything it started, and the check is marked `timeout`;
  the same restart follows;
- a message out of protocol stops the worker; the check is marked `error`; the same restart follows;
- a worker that dies, stalls or misbehaves while loading the notebook costs every remaining check.

So a submission's code can cost only its own points, and grading always finishes. What ends a worker from outside
its sandbox is not the submission's doing and costs nothing: the sandbox's outer process killed by a signal the
grader did not send, or a process killed for memory while its sandbox was well under its own limit (the host ran
out). Such a check runs again in a fresh worker (RETRIES times); if it still cannot finish, grade_cells raises
GradingFault (graders/engine/faults.py) and the student is reported not graded. A bare SIGKILL inside the sandbox, not
for memory, may be the submission's own (os.kill on itself) or an administrator's: it runs once more, and counts
against the submission only if it happens again.
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

from ..engine import judging, notebook
from ..engine.faults import GradingFault
from ..engine.judging import Plan
from ..engine.results import CheckResult
from .confine import Limits, Mounts, group_of, installed, isolation_problem, reap, sandbox
from .users import lease

LOAD_TIMEOUT_S = 60.0  # for starting the worker and running the notebook's top-level statements
CHECK_TIMEOUT_S = 40.0  # per check: the worker's own limit (judging.UNIT_TIME_LIMIT_S) plus one stuck call and slack
# per submission, all checks together: an honest notebook takes 2-5 s; one that stalls every check would otherwise
# hold a grading slot for 8 × 40 s
SUBMISSION_BUDGET_S = 120.0
# What one student's replies may cost the grader's own process, checked on the bytes before any object is built:
# a parsed JSON value takes ~18x its text, so a line of empty lists could grow a few MiB into gigabytes. An honest
# reply holds at most ~7,000 values (a 1000-step model-call log of 6 timesteps), a check ~200,000.
MAX_LINE_BYTES = 4 * 2**20
MAX_ITEMS_PER_LINE = 100_000  # JSON values in one reply: its commas, brackets and braces
MAX_ITEMS_PER_CHECK = 1_000_000
# the worker and the two engine modules it imports, which import nothing but torch (paths under graders/); the kit's
# package files are empty, so that importing the engine package there runs no engine code
WORKER_FILES = ("sandbox/worker.py", "engine/wire.py", "engine/stand_ins.py")
# Code that already does the tasks, hidden from the worker's Python environment wherever it is installed, so that no
# route (a helper, a decorator, importlib, exec) can import it: the lab's own packages (were they pip-installed) and
# the diffusion libraries. Not mounted at all: the repository (reference/, graders/ but the worker's kit). The kit holds
# the blocker as `reference` too, so that importing the lab's reference says why it fails, not only that it is absent.
FORBIDDEN = ("reference", "graders", "diffusers", "denoising_diffusion_pytorch", "improved_diffusion",
             "guided_diffusion", "k_diffusion")
BLOCKER = "forbidden.py"  # in the kit: stands in each forbidden package's place
BLOCKED = ('raise ImportError(f"{__name__.split(\'.\')[0]} is not available to graded code: a solution computes '
           'the math itself (the integrity rule)")\n')
RETRIES = 2  # fresh workers for a check its sandbox could not finish for reasons not its own
AT_LIMIT = 0.9  # a sandbox killed for memory after using this share of its limit hit its own limit


@dataclass(frozen=True)
class Ending:
    """How a worker ended: the check's status and why, and whose doing it was ("submission", "outside", or
    "unsure" for a bare SIGKILL inside the sandbox)."""

    status: str
    why: str
    by: str = "submission"


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
    """A folder holding only the worker's files (WORKER_FILES) in a package `graders`, readable by the sandbox users."""
    kit = Path(tempfile.mkdtemp(prefix="ddpm-worker-kit-"))
    atexit.register(shutil.rmtree, kit, ignore_errors=True)
    graders = Path(__file__).resolve().parents[1]
    for name in WORKER_FILES:
        target = kit / "graders" / name
        for package in (kit / "graders", target.parent):
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
        shutil.copyfile(graders / name, target)
    for blocker in (kit / BLOCKER, kit / "reference.py"):
        blocker.write_text(BLOCKED)
    for path in (kit, *kit.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return kit


class _Worker:
    """One worker process and its pipe, read line by line against a deadline."""

    def __init__(self, job: dict, uid: int, limits: Limits):
        kit = worker_kit()
        self.uid = uid
        mounts = Mounts(read_only=(kit,), hidden=installed(FORBIDDEN), blocker=kit / BLOCKER,
                        env={"PYTHONPATH": str(kit)})
        argv, env, cwd = sandbox([sys.executable, "-s", "-m", "graders.sandbox.worker"], mounts, self.uid, limits)
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True)
        payload = json.dumps(job).encode()
        threading.Thread(target=self._feed, args=(payload,), daemon=True).start()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.buffer = bytearray()
        self.items = 0

    def _feed(self, payload: bytes) -> None:
        try:
            self.process.stdin.write(payload)
            self.process.stdin.close()
        except OSError:
            pass  # the worker died before reading its job: its exit is reported by next_message

    def next_message(self, deadline: float):
        """The next JSON message, or "timeout", "ended", "garbled" or "oversized" (past MAX_LINE_BYTES or
        MAX_ITEMS_PER_LINE: refused unparsed). self.items counts the JSON values of the messages read so far."""
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
                return "oversized"
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 1]
        items = line.count(b",") + line.count(b"[") + line.count(b"{")
        self.items += items
        if len(line) > MAX_LINE_BYTES or items > MAX_ITEMS_PER_LINE:
            return "oversized"
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past the parser's depth limit
            return "garbled"
        return message if isinstance(message, list) and message and isinstance(message[0], str) else "garbled"

    def stop(self) -> tuple[int | None, bool]:
        """Kill the worker and everything it started: its exit code (negative: the signal that ended bubblewrap
        itself) and whether its sandbox's own memory limit killed one of its processes."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        code = self.process.wait()
        group = group_of(self.uid)
        own_limit = group is not None and group.oom_kills() > 0 and group.peak_bytes() >= AT_LIMIT * group.limit_bytes()
        host_oom = group is not None and group.oom_kills() > 0 and not own_limit
        reap(self.uid)  # the sandbox's own processes outlive bubblewrap by a moment; the next student needs the uid
        self.selector.close()
        self.process.stdout.close()
        return code, (own_limit if not host_oom else None)


OVER_BUDGET = Ending("timeout", "the submission used up its grading time, all checks together; its process was "
                               "stopped.")


def ending(reason: str, code: int | None, memory: bool | None, limits: Limits, seconds: float) -> Ending:
    """Why a worker stopped: `reason` from next_message, `code` and `memory` from _Worker.stop (memory None: the
    host, not the sandbox's limit, killed a process for memory)."""
    if reason == "garbled":
        return Ending("error", "its process sent the grader a message out of protocol and was stopped.")
    if reason == "oversized":
        return Ending("error", f"its process sent the grader more than a check may send (a reply of over "
                               f"{MAX_ITEMS_PER_LINE:,} values or {MAX_LINE_BYTES // 2**20} MiB, or {MAX_ITEMS_PER_CHECK:,} "
                               f"values in one check; an honest one sends a few thousand) and was stopped.")
    if reason == "timeout":
        return Ending("timeout", f"no result within {seconds:g} s; its process was stopped.")
    if memory is None:
        return Ending("exit", "the grading host ran out of memory and killed its process (its sandbox was under its "
                              "own limit).", "outside")
    if memory:
        return Ending("memory", f"its processes used more than their {limits.memory_gib:g} GiB of memory together "
                                f"and one was stopped.")
    if code is not None and code < 0 and code != -signal.SIGXCPU:
        return Ending("exit", f"its sandbox was killed from outside (signal {-code}), not by the grader.", "outside")
    if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return Ending("timeout", f"its process used up its CPU time ({limits.cpu_s} s) and was stopped.")
    if code == 128 + signal.SIGKILL:
        return Ending("exit", "its process was killed (SIGKILL), not for memory: os.kill on itself, or from outside "
                              "its sandbox.", "unsure")
    return Ending("exit", f"its process ended (exit code {code}): os._exit, posix._exit, a crash in native code, or "
                          f"memory beyond {limits.memory_gib:g} GiB.")


def grade_cells(cells: list[dict], plans: list[Plan], limits: Limits = Limits(),
                check_timeout_s: float = CHECK_TIMEOUT_S, uid: int | None = None,
                budget_s: float = SUBMISSION_BUDGET_S) -> Graded:
    """Run every plan on the notebook `cells` ({label, source, solution}) in confined workers; see the module doc.

    uid: the sandbox user to run as, for a caller holding a lease (graders/sandbox/users.py); by default this
    grading leases a worker user of its own, so process limits stay per submission however many run at once.
    budget_s: wall-clock seconds for all the checks together; checks not finished by then fail as timeouts.
    Raises GradingFault when the grading machinery, not the submission, keeps a check from finishing. A function
    missing because its solution cell does not parse is reported as a syntax error, with the line.
    """
    if uid is None:
        with lease("worker") as uid:
            return grade_cells(cells, plans, limits, check_timeout_s, uid, budget_s)
    graded = Graded(not_isolated=isolation_problem())
    start = time.monotonic()
    budget_end = start + budget_s
    todo, tries = list(plans), {"outside": 0, "unsure": 0}
    while todo:
        if time.monotonic() >= budget_end:
            spent = Ending("timeout", f"not run: this submission used up its {budget_s:g} s of grading time, all "
                                      f"checks together (an honest one takes a few seconds).")
            for p in todo:
                graded.results[(p.spec.name, p.level)] = CheckResult(p.spec.name, p.level, False, spent.status,
                                                                     f"{p.spec.name}: {spent.why}")
            break
        job = {"cells": cells, "units": [p.unit() for p in todo]}
        worker = _Worker(job, uid, limits)
        graded.processes += 1
        done, interrupted, loading = _run(worker, todo, graded, limits, check_timeout_s, budget_end)
        if interrupted is not None:  # not the submission's doing, or perhaps not: that check again, in a new worker
            tries[interrupted.by] += 1
            if interrupted.by == "outside" and tries["outside"] > RETRIES:
                raise GradingFault(f"{todo[done].spec.name}: {interrupted.why} It happened {tries['outside']} "
                                   f"times; grade this student again once the host is sound.")
            if interrupted.by == "unsure" and tries["unsure"] > 1:  # again: the submission's own doing
                settled = todo if loading else todo[done:done + 1]
                _settle(graded, settled, interrupted, loading)
                done += len(settled)
        todo = todo[done:]
    broken = notebook.syntax_errors(cells)
    for key, result in graded.results.items():
        if result.status == "missing" and result.task in broken:
            graded.results[key] = judging.syntax_error(result, broken[result.task])
    graded.runtime_s = time.monotonic() - start
    return graded


def _settle(graded: Graded, plans: list[Plan], end: Ending, loading: bool, replies: list | None = None,
            began: float | None = None) -> None:
    """Record the submission's failure `end` for `plans`: every one, while loading the notebook; else one check."""
    for p in plans:
        if loading:
            graded.results[(p.spec.name, p.level)] = CheckResult(
                p.spec.name, p.level, False, end.status, f"{p.spec.name}: while loading the notebook's definitions, "
                                                         f"{end.why}")
        else:
            seconds = time.monotonic() - began if began is not None else 0.0
            graded.results[(p.spec.name, p.level)] = _judge(p, replies or [], (end.status, end.why), seconds)


def _judge(p: Plan, replies: list, stopped: tuple[str, str] | None, seconds: float) -> CheckResult:
    try:
        return judging.judge(p, replies, stopped, seconds)
    except Exception as e:  # noqa: BLE001 - a bug of the engine's, never the student's grade
        raise GradingFault(f"{p.spec.name}: the grading engine failed ({type(e).__name__}: {e})") from e


def _run(worker: _Worker, todo: list[Plan], graded: Graded, limits: Limits, check_timeout_s: float,
         budget_end: float) -> tuple[int, Ending | None, bool]:
    """Read one worker's messages into graded.results: how many plans of `todo` it settled, the Ending that
    interrupted the next one when that ending was not (or not surely) the submission's, and whether that came
    while loading the notebook."""
    first = graded.processes == 1
    load_deadline = min(time.monotonic() + LOAD_TIMEOUT_S, budget_end)
    message = worker.next_message(load_deadline)
    if not (isinstance(message, list) and message[0] == "loaded" and len(message) == 2
            and isinstance(message[1], list)):
        reason = message if isinstance(message, str) else "garbled"
        end = ending(reason, *worker.stop(), limits, LOAD_TIMEOUT_S)
        if reason == "timeout" and load_deadline == budget_end:
            end = OVER_BUDGET
        if end.by != "submission":
            return 0, end, True
        _settle(graded, todo, end, loading=True)
        return len(todo), None, True
    if first:
        graded.notes += [str(n)[:500] for n in message[1][:50]]
    for index, p in enumerate(todo):
        replies, began = [], time.monotonic()
        deadline = min(began + check_timeout_s, budget_end)
        worker.items = 0
        while True:
            message = worker.next_message(deadline)
            if worker.items > MAX_ITEMS_PER_CHECK:
                message = "oversized"
            if isinstance(message, list) and message[0] == "reply" and len(message) == 3 and message[1] == index \
                    and len(replies) < len(p.cases):
                replies.append(message[2])
                continue
            if isinstance(message, list) and message[0] == "unit_done" and message[1:] == [index]:
                graded.results[(p.spec.name, p.level)] = _judge(p, replies, None, time.monotonic() - began)
                break
            reason = message if isinstance(message, str) else "garbled"
            end = ending(reason, *worker.stop(), limits, check_timeout_s)
            if reason == "timeout" and deadline == budget_end:
                end = OVER_BUDGET
            if end.by != "submission":
                return index, end, False
            _settle(graded, [p], end, loading=False, replies=replies, began=began)
            return index + 1, None, False
    worker.next_message(time.monotonic() + 5)  # "done"; whatever it says, the worker is finished with
    worker.stop()
    return len(todo), None, False
