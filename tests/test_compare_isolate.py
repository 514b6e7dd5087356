"""Does the process pool grade students side by side, and stop what the in-process guards cannot?"""
from __future__ import annotations

import time

from compare_class import solutions, write_notebook
from graders.confine import Limits
from graders.isolate import Submission, grade_class

SLOW_ONCE = '''import time

_slept = []


def q_sample(x0, t, noise, alpha_bar):
    if not _slept:
        _slept.append(True)
        time.sleep(2)
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
'''

DEAF = '''import signal


def posterior_mean(x0, x_t, t, betas):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the in-process time limit can no longer fire
    while True:
        pass
'''

FORGER = """import gc
import os
import pickle


class Payload:
    def __reduce__(self):
        return os.system, ("touch {marker}",)


def q_sample(x0, t, noise, alpha_bar):
    for obj in gc.get_objects():
        if type(obj).__name__ == "Connection" and obj.writable:
            obj.send_bytes(pickle.dumps(Payload()))
    return x0
"""


def test_two_jobs_grade_two_students_at_once(tmp_path):
    """With two students who each sleep 2 s, is --jobs 2 at least 1.5 s faster than --jobs 1?"""
    base = solutions()
    subs = [Submission(s, write_notebook(tmp_path, s, {**base, "q_sample": SLOW_ONCE})) for s in ("a", "b")]
    grade_class(subs[:1], jobs=1, progress=False)  # start the forkserver outside the timing
    start = time.perf_counter()
    serial = grade_class(subs, jobs=1, progress=False)
    serial_s = time.perf_counter() - start
    start = time.perf_counter()
    parallel = grade_class(subs, jobs=2, progress=False)
    parallel_s = time.perf_counter() - start
    assert all(r["passed"] for run in serial + parallel for r in run.results.values())
    assert parallel_s < serial_s - 1.5, (serial_s, parallel_s)


def test_parent_kills_a_task_that_ignores_its_alarm(tmp_path):
    """When a function disables the in-process time limit, does the parent stop it after task_timeout_s,
    mark that task timeout and still grade the student's other tasks in a fresh process?"""
    path = write_notebook(tmp_path, "deaf", {**solutions(), "posterior_mean": DEAF})
    start = time.perf_counter()
    (run,) = grade_class([Submission("deaf", path)], task_timeout_s=4, limits=Limits(cpu_s=60), progress=False)
    assert time.perf_counter() - start < 30
    assert run.results["posterior_mean"]["status"] == "timeout"
    assert "no result within 4 s" in run.results["posterior_mean"]["message"]
    assert run.processes == 2
    assert all(run.results[t]["passed"] for t in ("q_sample", "eps_loss", "sample_loop"))


def test_a_forged_pickle_runs_nothing_in_the_grader(tmp_path):
    """When a function writes a pickle that would run a shell command down its own pipe, is the grader untouched,
    the task marked error, and the other tasks graded?"""
    marker = tmp_path / "pickle-ran"
    path = write_notebook(tmp_path, "forger", {**solutions(), "q_sample": FORGER.format(marker=marker)})
    (run,) = grade_class([Submission("forger", path)], progress=False)
    assert not marker.exists()
    assert run.results["q_sample"]["status"] == "error"
    assert "out of protocol" in run.results["q_sample"]["message"]
    assert all(run.results[t]["passed"] for t in ("posterior_mean", "eps_loss", "sample_loop"))
