"""Sandbox users, leased machine-wide: no two gradings running on one machine ever share a unix user.

    with lease("worker") as uid:     # a uid no other process on this machine holds until the block ends
        sandbox(command, mounts, uid, limits)

A sandbox's user matters for two reasons: RLIMIT_NPROC counts processes per user, and graders/confine.py's `reap`
kills every process of a user. Two gradings under one user would share one process budget (a student's fork bomb
would starve another student's worker) and one grading's clean-up would kill the other's sandbox. Gradings run
side by side in threads of one process (the TA tool), in several processes (nbgrader's kernel launcher next to its
grading worker) and in several Dask workers on one machine (graders/autograde.py), so the lease is an exclusive
`flock` on a file per user: it holds across threads and processes, and the kernel frees it when its holder dies,
however it dies (a killed Dask worker included). A fresh lease first kills whatever a dead holder left running.

Two pools: "kernel" (the notebook's kernel, graders/kernel.py) and "worker" (grading workers, graders/runner.py),
USERS_PER_POOL users each. None of these users owns any file outside a sandbox.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from pathlib import Path
from typing import Iterator

from .confine import BASE_UID, reap

USERS_PER_POOL = 100
POOLS = {"kernel": BASE_UID, "worker": BASE_UID + USERS_PER_POOL}
POLL_S = 0.05


def lock_folder() -> Path:
    """Where the lease files live: one folder per grading user on this machine, only that user may enter."""
    folder = Path(tempfile.gettempdir()) / f"ddpm-lab-sandbox-users-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{folder} is not this user's own folder; remove it and grade again")
    return folder


@contextlib.contextmanager
def lease(pool: str) -> Iterator[int]:
    """A uid of `pool` held by no one else on this machine for the duration of the block; waits while all are held."""
    if pool not in POOLS:
        raise ValueError(f"unknown pool {pool!r}; one of {sorted(POOLS)}")
    folder = lock_folder()
    while True:
        for k in range(USERS_PER_POOL):
            uid = POOLS[pool] + k
            fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                reap(uid)  # what a holder that died without cleaning up left behind
                yield uid
            finally:
                reap(uid)
                os.close(fd)  # releases the lock
            return
        time.sleep(POLL_S)
