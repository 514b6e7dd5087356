"""A control group per sandbox: its processes' memory and number held in total, and all of them killed as one.

    group = make("ddpm-lab-64100", memory_bytes=6 * 2**30, processes=64)   # None where no group can be made
    argv = group.enter_argv() + command     # the command moves itself in before it runs: so does all it starts
    …
    group.oom_kills(), group.peak_bytes()   # did the memory limit (or the host) kill one of its processes?
    group.kill()                            # freeze, SIGKILL everyone, thaw, wait until empty, remove

Per-process limits (RLIMIT_AS, RLIMIT_NPROC) hold each process or each user alone, and killing by uid reaches
whatever else runs as that uid. A group holds exactly the sandbox: every process it starts, however it detaches
(setsid, a double fork), and nothing else, so the sandbox's memory is limited in total and its clean-up cannot
reach another grading's processes.

cgroup v1 (this project's machine): the memory, pids and freezer hierarchies, one folder in each. cgroup v2: one
folder in the unified hierarchy, where this process's group delegates the memory and pids controllers (systemd:
`Delegate=yes`), killed with cgroup.kill. Either way the groups are made under this process's own group, so they
nest inside whatever holds the grader (a container, a slice) and its limits still apply. Making groups needs root
or a delegated hierarchy; elsewhere `make` returns None and callers fall back to per-process limits.
"""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
V1 = ("memory", "pids", "freezer")
POLL_S = 0.01


@dataclass(frozen=True)
class Group:
    """One sandbox's group: a folder per v1 hierarchy (memory, pids, freezer), or the one v2 folder."""

    folders: tuple[Path, ...]
    v2: bool

    def _in(self, controller: str) -> Path:
        return self.folders[0] if self.v2 else self.folders[V1.index(controller)]

    def enter_argv(self) -> list[str]:
        """A prefix that moves the command into this group (every hierarchy), then execs it: nothing of the command
        runs outside the group, and no Python runs between fork and exec."""
        procs = [str(f / "cgroup.procs") for f in self.folders]
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
        return ["sh", "-c", script, "sh", *procs, "--"]

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def oom_kills(self) -> int:
        """Processes of this group the kernel killed for memory: at the group's limit, or the host's."""
        name = "memory.events" if self.v2 else "memory.oom_control"
        for line in _read(self._in("memory") / name).splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def peak_bytes(self) -> int:
        """The group's highest memory use so far (v1 max_usage, v2 memory.peak where the kernel has it)."""
        text = _read(self._in("memory") / ("memory.peak" if self.v2 else "memory.max_usage_in_bytes")).strip()
        return int(text) if text.isdigit() else 0

    def limit_bytes(self) -> int:
        text = _read(self._in("memory") / ("memory.max" if self.v2 else "memory.limit_in_bytes")).strip()
        return int(text) if text.isdigit() else 0

    def kill(self, timeout_s: float = 10.0) -> bool:
        """Kill every process of the group and remove it; False if some process outlived `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        if self.v2 and (self.folders[0] / "cgroup.kill").exists():
            _write(self.folders[0] / "cgroup.kill", "1")
        else:  # frozen first, so nothing forks between reading the list and the kill
            self._freeze(True, deadline)
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._freeze(False, deadline)  # a frozen process cannot die
        while self.pids() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        emptied = not self.pids()
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()
        return emptied

    def _freeze(self, frozen: bool, deadline: float) -> None:
        if self.v2:
            _write(self.folders[0] / "cgroup.freeze", "1" if frozen else "0")
            return
        state = self._in("freezer") / "freezer.state"
        want = "FROZEN" if frozen else "THAWED"
        _write(state, want)
        while frozen and _read(state).strip() != want and time.monotonic() < deadline:
            time.sleep(POLL_S)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        path.write_text(text)


@functools.lru_cache(maxsize=None)
def roots() -> tuple[tuple[Path, ...], bool] | None:
    """Where this process may make groups: its own group in each v1 hierarchy, or in v2; None where it may not."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    own = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path.lstrip("/")
    v1 = [MOUNT / c / own[c] for c in V1 if c in own]
    if len(v1) == len(V1) and all(f.is_dir() and os.access(f, os.W_OK) for f in v1):
        return tuple(v1), False
    if "" in own and (MOUNT / "cgroup.controllers").is_file():
        folder = MOUNT / own[""]
        delegated = set(_read(folder / "cgroup.subtree_control").split())
        if not {"memory", "pids"} <= delegated:
            _write(folder / "cgroup.subtree_control", "+memory +pids")
            delegated = set(_read(folder / "cgroup.subtree_control").split())
        if {"memory", "pids"} <= delegated and os.access(folder, os.W_OK):
            return (folder,), True
    return None


def find(name: str) -> Group | None:
    """The existing group `name` (a sandbox's, perhaps left by a grader that died), or None."""
    found = roots()
    if found is None:
        return None
    parents, v2 = found
    folders = tuple(p / name for p in parents)
    return Group(folders, v2) if any(f.is_dir() for f in folders) else None


def make(name: str, memory_bytes: int, processes: int) -> Group | None:
    """A fresh group `name` whose processes may use `memory_bytes` (swap included) and `processes` tasks in all;
    a leftover of the same name is killed first. None where groups cannot be made here."""
    found = roots()
    if found is None:
        return None
    old = find(name)
    if old is not None:
        old.kill()
    parents, v2 = found
    group = Group(tuple(p / name for p in parents), v2)
    try:
        for folder in group.folders:
            folder.mkdir()
        if v2:
            (group.folders[0] / "memory.max").write_text(str(memory_bytes))
            _write(group.folders[0] / "memory.swap.max", "0")
            (group.folders[0] / "pids.max").write_text(str(processes))
        else:
            memory = group._in("memory")
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))  # where swap accounting is on
            (group._in("pids") / "pids.max").write_text(str(processes))
    except OSError:
        group.kill()
        return None
    return group
