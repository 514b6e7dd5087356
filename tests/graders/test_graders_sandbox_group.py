"""Does a sandbox's control group hold all its processes together, and end exactly them?"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from graders.sandbox import cgroup as sandbox_group, confine
from graders.sandbox.confine import BASE_UID

needs_groups = pytest.mark.skipif(sandbox_group.roots() is None,
                                  reason="no control group can be made here (needs root, cgroup v1 or delegated v2)")
SLOT = 90  # sandbox users of the pools' far end, which the tests' own gradings do not reach

MEMORY_HOG = """
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(300 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1  # touch every page: resident, not just reserved
        time.sleep(2)
        os._exit(0)
    children.append(pid)
print("survivors", sum(os.waitpid(pid, 0)[1] == 0 for pid in children))
"""


def _sandboxed(code: str, uid: int, limits: confine.Limits) -> str:
    """What Python `code` printed, run in a sandbox of user `uid` under `limits`."""
    argv, env, cwd = confine.sandbox([sys.executable, "-c", code], confine.Mounts(), uid, limits)
    try:
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60).stdout
    finally:
        confine.reap(uid)


def _survivors(uid: int) -> int:
    """How many of MEMORY_HOG's three children lived, run in a sandbox of user `uid` with a 0.5 GiB memory limit."""
    return int(re.search(r"survivors (\d)", _sandboxed(MEMORY_HOG, uid, confine.Limits(memory_gib=0.5))).group(1))


@needs_groups
def test_processes_share_one_memory_limit(monkeypatch):
    """Do three processes of one sandbox, each under RLIMIT_AS (0.5 GiB) but 0.9 GiB together, hit the group's
    limit (0.5 GiB in all), where without the group all three live? And is the group gone afterwards?"""
    uid = BASE_UID + SLOT
    assert _survivors(uid) < 3
    assert sandbox_group.find(confine.group_name(uid)) is None
    monkeypatch.setattr(sandbox_group, "make", lambda *a: None)
    assert _survivors(uid) == 3  # the same hog without the group: the per-process limit alone lets it through


@needs_groups
def test_a_group_counts_its_processes_together():
    """Does a group limited to 16 tasks stop a fork bomb short of 16, run as root here, where no per-user limit
    (RLIMIT_NPROC) applies?"""
    bomb = ("import os, time\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n"
            "            os.close(1); time.sleep(5); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint('forked', n)\n")
    group = sandbox_group.make("ddpm-lab-test-pids", 2**30, 16)
    try:
        out = subprocess.run(group.enter_argv() + [sys.executable, "-c", bomb], capture_output=True, text=True,
                             timeout=60).stdout
    finally:
        group.kill()
    assert 1 <= int(re.search(r"forked (\d+)", out).group(1)) < 16


@needs_groups
def test_kill_ends_detached_processes_and_nothing_else():
    """Does killing a group end a double-forked, setsid'd process started inside it, and leave alone a process of
    the same program outside it?"""
    group = sandbox_group.make("ddpm-lab-test-kill", 2**30, 64)
    detach = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        print(os.getpid(), flush=True); time.sleep(60)\n    os._exit(0)\nos.wait()\n")
    inside = subprocess.Popen(group.enter_argv() + [sys.executable, "-c", detach], stdout=subprocess.PIPE, text=True)
    orphan = int(inside.stdout.readline())
    inside.wait(timeout=30)
    inside.stdout.close()
    outside = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert orphan in group.pids()
        assert group.kill()
        assert not os.path.exists(f"/proc/{orphan}") or "Z" in open(f"/proc/{orphan}/stat").read().split()[2]
        assert outside.poll() is None
        assert sandbox_group.find("ddpm-lab-test-kill") is None
    finally:
        outside.kill()
        outside.wait()


@needs_groups
def test_a_leftover_group_is_ended_when_its_name_is_made_again():
    """Is a group left running by a grader that died (same name) killed before a fresh one is made?"""
    old = sandbox_group.make("ddpm-lab-test-leftover", 2**30, 64)
    sleeper = subprocess.Popen(old.enter_argv() + ["sleep", "60"])
    deadline = time.monotonic() + 5
    while sleeper.pid not in old.pids() and time.monotonic() < deadline:
        time.sleep(0.01)
    fresh = sandbox_group.make("ddpm-lab-test-leftover", 2**30, 64)
    try:
        assert sleeper.wait(timeout=10) == -9
        assert fresh.pids() == set()
    finally:
        fresh.kill()
