"""Is one submission's whole grading held to a time budget, not only each check? (graders/sandbox/runner.py)

A notebook whose every function ignores SIGALRM and loops once cost 8 × 40 s of a grading slot (353 s measured,
an honest one 3 s). grade_cells now stops at budget_s for all checks together.
"""
from __future__ import annotations

import pytest

from graders.engine import judging as engine
from graders.sandbox import confine, runner
from graders.sandbox.confine import BASE_UID
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

pytestmark = pytest.mark.skipif(confine.isolation_problem() is not None,
                                reason=f"bubblewrap cannot confine here: {confine.isolation_problem()}")
UID = BASE_UID + 2 * USERS_PER_POOL + 50  # outside the pools a grading beside these tests leases
STALL = '''
import signal


def _stall():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # deaf to the worker's own per-call limit
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        pass


def q_sample(x0, t, noise, alpha_bar):
    _stall()


def posterior_mean(x0, x_t, t, betas):
    _stall()


def eps_loss(model, x0, t, noise, alpha_bar):
    _stall()


def sample_loop(model, x_T, betas, noises):
    _stall()
'''


def test_a_submission_that_stalls_every_check_stops_at_its_budget():
    """With a 12 s budget and 8 s per check, does a notebook stalling all four checks end within the budget (plus
    one worker's stop), every check failing as a timeout, the last ones named as beyond the budget?"""
    tasks = tasks_of("ddpm_core")
    cells = [{"label": "cell 0", "source": "import torch\n", "solution": False},
             {"label": "cell 1", "source": STALL, "solution": True}]
    plans = [engine.plan(spec, "sanity") for spec in tasks.values()]
    graded = runner.grade_cells(cells, plans, check_timeout_s=8, uid=UID, budget_s=12)
    assert graded.runtime_s < 12 + 5, graded.runtime_s
    results = [graded.results[(name, "sanity")] for name in tasks]
    assert all(r.status == "timeout" and not r.passed for r in results), [r.message for r in results]
    assert "grading time" in results[-1].message, results[-1].message
