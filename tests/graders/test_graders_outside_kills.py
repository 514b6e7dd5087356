"""Does the runner tell a sandbox killed from outside (not the student's doing) from a submission that kills itself?

A check whose sandbox is SIGKILLed from outside runs again in a fresh worker; after runner.RETRIES such kills,
grade_cells raises GradingFault (the student is then reported not graded). A submission that SIGKILLs its own
process is given one more worker, then the check fails, as the submission's doing.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from graders.engine import judging as engine
from graders.sandbox import confine, runner
from graders.sandbox.confine import BASE_UID
from graders.engine.faults import GradingFault
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

pytestmark = pytest.mark.skipif(confine.isolation_problem() is not None or os.geteuid() != 0,
                                reason="needs bubblewrap and root (a sandbox user of its own)")

TASKS = tasks_of("ddpm_core")
UID = BASE_UID + 2 * USERS_PER_POOL + 20  # outside the pools a grading beside these tests leases
SLOW_Q_SAMPLE = '''
import time
def q_sample(x0, t, noise, alpha_bar):
    time.sleep(0.2)
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
'''
SELF_KILL = '''
import os, signal
def q_sample(x0, t, noise, alpha_bar):
    os.kill(os.getpid(), signal.SIGKILL)
'''


def _cells(source: str) -> list[dict]:
    return [{"label": "cell 0", "source": "import torch\n", "solution": False},
            {"label": "cell 1", "source": source, "solution": True}]


def _bubblewraps() -> list[int]:
    """This process's children running bubblewrap: the outer, unconfined process of each sandbox."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()
                argv = open(f"/proc/{name}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if int(stat[1]) == os.getpid() and any(a.endswith(b"bwrap") for a in argv):
                found.append(int(name))
    return found


def test_kills_from_outside_on_every_try_raise_a_grading_fault():
    """Is a sandbox SIGKILLed from outside on every try a GradingFault naming the cause, after RETRIES + 1 workers,
    never a failed check?"""
    plans = [engine.plan(TASKS["q_sample"], "sanity")]
    stop, killed = threading.Event(), []

    def killer():
        while not stop.is_set():
            for pid in _bubblewraps():
                if pid not in killed:
                    time.sleep(0.3)
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with pytest.raises(GradingFault, match="killed from outside") as fault:
            runner.grade_cells(_cells(SLOW_Q_SAMPLE), plans, uid=UID)
    finally:
        stop.set()
        thread.join()
    assert len(killed) == runner.RETRIES + 1
    assert f"{runner.RETRIES + 1} times" in str(fault.value)


def test_one_kill_from_outside_costs_nothing():
    """Killed from outside once, does the check run again and pass, with no point off?"""
    plans = [engine.plan(TASKS["q_sample"], "sanity")]
    killed = []

    def killer():
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for pid in _bubblewraps():
                time.sleep(0.3)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    graded = runner.grade_cells(_cells(SLOW_Q_SAMPLE), plans, uid=UID)
    thread.join()
    result = graded.results[("q_sample", "sanity")]
    assert len(killed) == 1 and graded.processes == 2
    assert result.passed and result.points_lost == 0, result.message


def test_a_submission_that_kills_itself_fails_its_check():
    """Does a q_sample that SIGKILLs its own process get a second worker, then fail as its own doing (exit), not
    raise a GradingFault?"""
    plans = [engine.plan(TASKS["q_sample"], "sanity")]
    graded = runner.grade_cells(_cells(SELF_KILL), plans, uid=UID)
    result = graded.results[("q_sample", "sanity")]
    assert graded.processes == 2
    assert not result.passed and result.status == "exit" and "SIGKILL" in result.message
