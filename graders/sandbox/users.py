"""Sandbox users, leased machine-wide: no two gradings running on one machine ever share a unix user.

    with lease("worker") as uid:     # a uid no other process on this machine holds until the block ends
        sandbox(command, mounts, uid, limits)

A sandbox's user matters for three reasons: RLIMIT_NPROC counts processes per user, a sandbox's control group is named
by its user (graders/sandbox/cgroup.py), and, where no group can be made, graders/sandbox/confine.py's `reap` kills
every process of the user. Two gradings under one user would share one process budget and one would kill the other's
sandbox. Gradings run side by side in threads of one process (the TA tool), in several processes (nbgrader's kernel
launcher next to its grading worker), in several Dask workers, and in gradings started by different people, services and
environments (another course, JupyterHub, a test harness), so the lease is an exclusive `flock` on a file per user in
one folder fixed for the whole machine (LOCK_FOLDER: not under TMPDIR, which differs between them): it holds across
threads and processes, and the kernel frees it when its holder dies, however it dies (a killed Dask worker included). A
fresh lease first ends whatever a dead holder left running.

A grader that is not root gives its sandboxes no users of their own (bubblewrap maps it into a user namespace),
so it needs no machine-wide lease: its lock files live in a folder of its own user.

Two pools: "kernel" (the notebook's kernel, graders/sandbox/kernel.py) and "worker" (grading workers,
graders/sandbox/runner.py), USERS_PER_POOL users each. None of these users owns any file outside a sandbox.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Iterator

from ..engine.faults import GradingFault
from .confine import BASE_UID, reap

USERS_PER_POOL = 100
POOLS = {"kernel": BASE_UID, "worker": BASE_UID + USERS_PER_POOL}
POLL_S = 0.05
LEASE_TIMEOUT_S = 600.0  # all 100 users of a pool held this long: the machine is overloaded, or leases leak
LOCK_FOLDER = Path("/run/lock/ddpm-lab-sandbox-users")  # root's: the same for every grading on the machine


def lock_folder() -> Path:
    """Where the lease files live: LOCK_FOLDER for root (/tmp's when /run/lock is missing), else a folder of this
    user's own under /tmp; only its owner may enter."""
    if os.geteuid() == 0:
        folder = LOCK_FOLDER if LOCK_FOLDER.parent.is_dir() else Path("/tmp") / LOCK_FOLDER.name
    else:
        folder = Path("/tmp") / f"{LOCK_FOLDER.name}-{os.geteuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{folder} is not this user's own folder; remove it and grade again")
    return folder


@contextlib.contextmanager
def lease(pool: str, timeout_s: float = LEASE_TIMEOUT_S) -> Iterator[int]:
    """A uid of `pool` held by no one else on this machine for the duration of the block; waits while all are held,
    up to `timeout_s` (then GradingFault)."""
    if pool not in POOLS:
        raise ValueError(f"unknown pool {pool!r}; one of {sorted(POOLS)}")
    folder = lock_folder()
    deadline = time.monotonic() + timeout_s
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
        if time.monotonic() > deadline:
            raise GradingFault(f"no {pool} sandbox user was free within {timeout_s:g} s (all {USERS_PER_POOL} held "
                               f"by other gradings on this machine, {folder})")
        time.sleep(POLL_S)
