"""Do leases of sandbox users keep concurrent gradings apart: across threads, across processes, after a holder dies?"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graders.sandbox.confine import isolation_problem
from graders.sandbox.users import POOLS, USERS_PER_POOL, lease

ROOT = Path(__file__).resolve().parents[2]
HOLD = ("import sys, time; sys.path.insert(0, sys.argv[1]); from graders.sandbox.users import lease\n"
        "with lease('worker') as uid:\n    print(uid, flush=True); time.sleep(60)\n")


def test_threads_never_hold_the_same_user():
    """With 8 threads leasing worker users 20 times each, is no uid ever held twice at once, every uid in the
    worker pool?"""
    held: set[int] = set()
    clashes, seen = [], set()
    lock = threading.Lock()

    def grade_many():
        for _ in range(20):
            with lease("worker") as uid:
                with lock:
                    clashes.append(uid in held)
                    held.add(uid)
                    seen.add(uid)
                time.sleep(0.002)
                with lock:
                    held.discard(uid)

    threads = [threading.Thread(target=grade_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(clashes) == 160 and not any(clashes)
    assert seen <= set(range(POOLS["worker"], POOLS["worker"] + USERS_PER_POOL)) and len(seen) >= 2


def test_another_process_holds_its_user_until_it_dies():
    """While another process holds a worker user, does a lease here get a different one; and once that process
    is killed (no clean-up), is its user free again?"""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        theirs = int(holder.stdout.readline())
        with lease("worker") as mine:
            assert mine != theirs
    finally:
        holder.kill()
        holder.wait()
    freed = []
    with lease("worker") as a, lease("worker") as b:  # the lowest free users: theirs is among them again
        freed = [a, b]
    assert theirs in freed


@pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                    reason="reaping a sandbox user's processes needs root and a working sandbox")
def test_a_new_lease_kills_what_a_dead_holder_left_running():
    """Is a process left running as a user (by a holder that died) killed before that user is leased again?"""
    with lease("kernel") as uid:
        pass  # the user the next lease gets, with nobody holding it
    leftover = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "60"])
    time.sleep(0.2)
    try:
        with lease("kernel") as again:
            assert again == uid
            assert leftover.wait(timeout=5) == -9
    finally:
        leftover.kill()


def test_an_unknown_pool_is_named():
    """Does asking for a pool that does not exist raise ValueError naming it?"""
    with pytest.raises(ValueError, match="unknown pool 'gpu'"):
        with lease("gpu"):
            pass
