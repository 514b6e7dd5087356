"""Can one student's replies make the grader's own process spend memory? (graders/sandbox/runner.py's reply budget)

JSON text grows ~18x when parsed into Python objects, and every reply of a check is kept until the check ends, so
a worker that sends a few MiB of empty lists could once grow the grading process by gigabytes (2.24 GiB measured
under nbgrader autograde). The runner now counts a reply's values on its bytes and refuses one past its budget
unparsed; the worker sends at most 10,000 entries of the model-call log.
"""
from __future__ import annotations

import tracemalloc

import pytest

from graders.engine import judging as engine
from graders.sandbox import confine, runner
from graders.sandbox.confine import BASE_UID
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

pytestmark = pytest.mark.skipif(confine.isolation_problem() is not None,
                                reason=f"bubblewrap cannot confine here: {confine.isolation_problem()}")
TASKS = tasks_of("ddpm_core")
UID = BASE_UID + 2 * USERS_PER_POOL + 30  # outside the pools a grading beside these tests leases
BOUND_MIB = 64  # the grading process's own Python allocations while it grades this notebook

AMPLIFIERS = '''
import json, os
import torch


def _to_the_grader(line):
    for fd in range(3, 64):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                os.write(fd, line)
        except OSError:
            pass


def eps_loss(model, x0, t, noise, alpha_bar):
    model.calls = [[]] * 2_000_000  # the call log the worker sends back
    return ((noise - model(x0, t)) ** 2).mean()


def sample_loop(model, x_T, betas, noises):
    reply = {"kind": "ok", "output": {"tensor": {"dtype": "float64", "shape": [], "device": "cpu", "data": [0.0]}},
             "model_calls": [[]] * 3_000_000}
    for case in range(2):  # forged replies straight down the pipe, one per case: 9 MiB of text each
        _to_the_grader((json.dumps(["reply", 0, reply]) + "\\n").encode())
    return x_T
'''
HONEST = '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
'''


def test_amplified_replies_stay_within_the_graders_memory_bound():
    """With a call log of two million empty lists and forged replies of three million, does the grading process's own
    memory peak stay under BOUND_MIB, each amplifier fail only its own task, and the honest q_sample pass?"""
    cells = [{"label": "cell 0", "source": "import torch\n", "solution": False},
             {"label": "cell 1", "source": AMPLIFIERS + HONEST, "solution": True}]
    plans = [engine.plan(TASKS[name], "sanity") for name in ("eps_loss", "sample_loop", "q_sample")]
    tracemalloc.start()
    try:
        graded = runner.grade_cells(cells, plans, uid=UID)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < BOUND_MIB * 2**20, f"{peak / 2**20:.0f} MiB"
    forged = graded.results[("sample_loop", "sanity")]
    assert not forged.passed and "more than a check may send" in forged.message, forged.message
    assert not graded.results[("eps_loss", "sanity")].passed
    honest = graded.results[("q_sample", "sanity")]
    assert honest.passed, honest.message
