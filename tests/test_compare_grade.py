"""Does grade_class grade students side by side, each concurrent one as a sandbox user of its own?"""
from __future__ import annotations

import threading
import time

from compare_class import solutions, write_notebook
from graders import runner
from graders.compare import Submission, grade_class

SLOW_ONCE = '''import time

_slept = []


def q_sample(x0, t, noise, alpha_bar):
    if not _slept:
        _slept.append(True)
        time.sleep(3)
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
'''


def test_two_jobs_grade_two_students_at_once(tmp_path):
    """With two students who each sleep 3 s, is --jobs 2 at least 1.5 s faster than --jobs 1?"""
    base = solutions()
    subs = [Submission(s, write_notebook(tmp_path, s, {**base, "q_sample": SLOW_ONCE})) for s in ("a", "b")]
    start = time.perf_counter()
    serial = grade_class(subs, jobs=1, progress=False)
    serial_s = time.perf_counter() - start
    start = time.perf_counter()
    parallel = grade_class(subs, jobs=2, progress=False)
    parallel_s = time.perf_counter() - start
    assert all(r["passed"] for run in serial + parallel for r in run.results.values())
    assert [run.student for run in parallel] == ["a", "b"]
    assert parallel_s < serial_s - 1.5, (serial_s, parallel_s)


def test_concurrent_students_never_share_a_slot(tmp_path, monkeypatch):
    """With 3 jobs over 9 students, does every student graded at the same time as another hold a different slot,
    each slot one of 0, 1, 2, and the runs come back in the submissions' order?"""
    running: set[int] = set()
    clashes, seen = [], []
    lock = threading.Lock()

    def fake_grade_cells(cells, plans, slot=0, limits=None, check_timeout_s=None):
        with lock:
            clashes.append(slot in running)
            running.add(slot)
            seen.append(slot)
        time.sleep(0.1)
        with lock:
            running.discard(slot)
        return runner.Graded(processes=1)

    monkeypatch.setattr(runner, "grade_cells", fake_grade_cells)
    path = write_notebook(tmp_path, "x", {})
    runs = grade_class([Submission(f"s{i}", path) for i in range(9)], jobs=3, progress=False)
    assert [run.student for run in runs] == [f"s{i}" for i in range(9)]
    assert not any(clashes) and set(seen) <= {0, 1, 2} and len(seen) == 9

