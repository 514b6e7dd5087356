"""Does graders/batch/cluster.py bring every student back exactly once, whatever happens to the tasks and workers?

Real LocalClusters of worker processes; the tasks below count their tries in files, since each try may run in
another process.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import dask
import pytest

from graders.batch.cluster import ALLOWED_FAILURES, RETRIES, Failed, dask_client, per_student


def _tries(folder: str, student: str) -> int:
    """Record one more try of `student`'s task; how many there have been, this one included."""
    with open(Path(folder) / student, "a") as f:
        f.write("x")
    return (Path(folder) / student).stat().st_size


def squares(folder: str, student: str, n: int) -> int:
    _tries(folder, student)
    if student == "raiser":
        raise RuntimeError("this student's task always raises")
    return n * n


def dies_once(folder: str, student: str) -> str:
    """Kill the worker process running it on the first try of a student named `victim*`; succeed after."""
    if _tries(folder, student) == 1 and student.startswith("victim"):
        os.kill(os.getpid(), signal.SIGKILL)
    return f"{student} graded by {os.getpid()}"


def always_dies(folder: str, student: str) -> str:
    _tries(folder, student)
    os.kill(os.getpid(), signal.SIGKILL)


def test_results_and_a_task_that_always_raises(tmp_path, dask_pair):
    """Does every student come back once with its own result, and one whose task always raises come back as Failed
    with its message, after 1 + RETRIES tries, without stopping the others?"""
    args = {f"s{i}": (str(tmp_path), f"s{i}", i) for i in range(6)} | {"raiser": (str(tmp_path), "raiser", 0)}
    outcomes = dict(per_student(dask_pair, squares, args, progress=False))
    assert set(outcomes) == set(args)
    assert {s: outcomes[s] for s in args if s != "raiser"} == {f"s{i}": i * i for i in range(6)}
    assert isinstance(outcomes["raiser"], Failed) and "always raises" in outcomes["raiser"].reason
    assert (tmp_path / "raiser").stat().st_size == 1 + RETRIES
    assert all((tmp_path / f"s{i}").stat().st_size == 1 for i in range(6))


def test_a_killed_worker_loses_no_student(tmp_path, dask_pair):
    """When a worker process is killed mid-task, is its student run again on a live worker and brought back once?"""
    args = {s: (str(tmp_path), s) for s in ("victim", "a", "b", "c")}
    outcomes = dict(per_student(dask_pair, dies_once, args, progress=False))
    assert set(outcomes) == set(args)
    assert all(isinstance(v, str) and v.startswith(f"{s} graded by") for s, v in outcomes.items())
    assert (tmp_path / "victim").stat().st_size == 2


def test_a_task_that_kills_every_worker_is_given_up(tmp_path):
    """Is a task that kills each worker it lands on given up after ALLOWED_FAILURES deaths and reported as Failed
    (KilledWorker), while the rest of the class is graded?"""
    with dask_client(None, 2) as client:
        outcomes = dict(per_student(client, always_dies, {"doom": (str(tmp_path), "doom")}, progress=False))
        outcomes |= dict(per_student(client, dies_once, {"ok": (str(tmp_path), "ok")}, progress=False))
    assert isinstance(outcomes["doom"], Failed) and "KilledWorker" in outcomes["doom"].reason
    assert (tmp_path / "doom").stat().st_size == ALLOWED_FAILURES + 1  # Dask gives up once deaths exceed the limit
    assert outcomes["ok"].startswith("ok graded by")


def test_a_scheduler_that_is_not_there_is_named(tmp_path):
    """Does an address with no scheduler give a ConnectionError naming the address and how to start one?"""
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            pytest.raises(ConnectionError, match=r"tcp://127\.0\.0\.1:9.*dask scheduler"):
        with dask_client("tcp://127.0.0.1:9"):
            pass
