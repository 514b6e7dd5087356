"""Grading a class on Dask: one task per student, on a LocalCluster here or on any Dask cluster.

    with dask_client(scheduler=None, workers=4) as client:          # a LocalCluster of 4 worker processes
        for student, outcome in per_student(client, grade_one, {"alice": (...), "bob": (...)}):
            ...                                                      # outcome: the task's return value, or Failed

Both graders/batch/autograde.py (nbgrader autograde by student) and graders/compare/ (the TA comparison) run this way.

- `scheduler=None` starts a LocalCluster of `workers` processes with one thread each (a student at a time per
  process: each grading leases its own sandbox users, graders/sandbox/users.py). An address such as
  tcp://HOST:8786 connects to an existing cluster instead: `dask scheduler` and `dask worker` by hand,
  dask-jobqueue on SLURM/PBS, or the Dask Helm chart on Kubernetes. Its workers need this repository and its
  virtual environment (the same paths are simplest), plus whatever the task itself reads.
- A worker that dies mid-task (killed, out of memory, its machine lost) loses nothing: the scheduler gives its
  students to other workers. A task that raises is retried RETRIES times. A student whose task still fails (or
  whose task killed ALLOWED_FAILURES workers) comes back as `Failed`, with the reason; the batch goes on.
- A tqdm progress bar counts students as they finish.
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import dask
from distributed import Client, LocalCluster, as_completed
from tqdm import tqdm

RETRIES = 2  # a task that raises runs again, up to this many times, on any worker
ALLOWED_FAILURES = 3  # a task whose worker died this many times is given up (Dask's KilledWorker)


@dataclass(frozen=True)
class Failed:
    """A student whose task failed on every try: what went wrong, in a line or a few."""

    reason: str


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Client of the cluster at `scheduler`, or of a LocalCluster of `workers` processes (default: one per core)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        if scheduler:
            try:
                client = Client(scheduler)  # waits distributed.comm.timeouts.connect (30 s by default)
            except OSError as e:
                raise ConnectionError(f"no Dask scheduler answered at {scheduler} ({e}); start one with "
                                      f"`dask scheduler` and workers with `dask worker {scheduler}`") from None
            with client:
                yield client
            return
        workers = workers or os.cpu_count() or 1
        if workers < 1:
            raise ValueError(f"a LocalCluster needs at least 1 worker; got {workers}")
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client


def per_student(client: Client, fn: Callable[..., Any], args: dict[str, tuple], progress: bool = True,
                label: str = "grading") -> Iterator[tuple[str, Any]]:
    """(student, fn(*args[student]) or Failed) for every student, in the order they finish; see the module doc."""
    futures = {client.submit(fn, *a, key=f"{label}-{student}-{os.urandom(4).hex()}", retries=RETRIES, pure=False):
               student for student, a in args.items()}
    with tqdm(total=len(futures), unit="student", desc=label, disable=not progress) as bar:
        for future in as_completed(futures):
            student = futures[future]
            if future.status == "finished":
                outcome = future.result()
            else:
                error = future.exception()
                outcome = Failed(f"{type(error).__name__}: {str(error).strip()[:2000]}")
            future.release()
            bar.update(1)
            yield student, outcome
