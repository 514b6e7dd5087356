"""Operating-system confinement for student code: Debian's bubblewrap, resource limits, a user of its own.

    argv, env, cwd = sandbox(["python", "-m", "graders.sandbox.worker"], Mounts(...), uid=64001, limits=Limits())
    subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True, ...)

Inside the sandbox a student's code sees only:
- the system's /usr (and the /lib, /bin links into it) and the Python environment, all read-only;
- what the caller binds (`Mounts`): the grader's worker files, or the notebook's own folder, read-only, and a
  few folders it may write (a kernel's socket folder);
- a fresh, size-capped /tmp, and its own /proc and /dev.
It gets its own PID, network (loopback only, with nothing listening), IPC, UTS and cgroup namespaces, so it can
neither signal the grader nor reach a server; it runs as an unprivileged user of its own (uid), with no
capabilities and no_new_privs; and it dies with its parent (--die-with-parent: every process it started too).
Course files, `reference/`, the gradebook, nbgrader_config.py, other students' folders and the TA report are
simply not there.

`sandbox` starts bubblewrap under util-linux's prlimit, which sets hard and soft RLIMIT_AS, RLIMIT_NPROC (per user,
hence a uid per concurrent sandbox), RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_NOFILE, so no code inside can raise them; and,
where control groups can be made (root, cgroup v1 or a delegated v2), inside a group of its own
(graders/sandbox/cgroup.py) that holds all its processes together to the same memory and process limits and is killed as
one. Wall-clock limits are the caller's (graders/sandbox/runner.py, graders/sandbox/kernel.py); `reap(uid)` ends a
sandbox: its group where it has one, else every process of its user, which only its lease holder runs as
(graders/sandbox/users.py).

Where bubblewrap is missing or cannot start, `sandbox` runs the command unconfined but for the limits, and
`isolation_problem()` says why: callers print NOT_ISOLATED loudly.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroup

ROOT = Path(__file__).resolve().parents[2]
BWRAP = os.environ.get("DDPM_LAB_BWRAP", "bwrap")  # the bubblewrap program (a path, or a name on PATH)
BASE_UID = 64000  # sandbox users are BASE_UID + slot; none of them owns any file outside a sandbox
NOT_ISOLATED = ("WARNING: GRADING IS NOT ISOLATED — {why}. Student code runs with resource limits only: it can read "
                "and write whatever this user can (course files, gradebook, other submissions). Install Debian's "
                "bubblewrap (apt-get install bubblewrap) and grade again.")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox: address space, processes and threads, CPU seconds, file size, open files."""

    memory_gib: float = 6.0
    processes: int = 64
    cpu_s: int = 600
    file_mib: int = 64
    open_files: int = 256

    def command(self) -> list[str]:
        """util-linux's prlimit setting every limit, soft and hard, for the command that follows it (no Python
        runs between fork and exec, so this is safe from any thread)."""
        limits = [f"--as={int(self.memory_gib * 2**30)}", f"--cpu={self.cpu_s}",
                  f"--fsize={self.file_mib * 2**20}", f"--nofile={self.open_files}"]
        if os.geteuid() == 0:  # without a user of its own, the count would include all of the grader's processes
            limits.append(f"--nproc={self.processes}")
        return ["prlimit", *limits, "--"]


@dataclass(frozen=True)
class Mounts:
    """What a sandbox sees besides the system and Python: read-only and writable binds (same path inside), Python
    packages and modules among those replaced by `blocker` (a module raising ImportError, so that no route imports
    them: an empty folder would still import, as a namespace package), the folder it starts in, and extra
    environment variables."""

    read_only: tuple[Path, ...] = ()
    writable: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()
    blocker: Path | None = None
    cwd: Path = Path("/tmp")
    env: dict[str, str] = field(default_factory=dict)
    tmp_mib: int = 64


def python_roots() -> list[Path]:
    """The folders the running Python lives in (the venv and its base installation, and any other site-packages a
    .pth file puts on sys.path, such as a shared library layer of an image), outermost only."""
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    sites = {Path(p).resolve() for p in sys.path if p and Path(p).name in ("site-packages", "dist-packages")}
    roots = sorted(prefixes | {s for s in sites if s.is_dir()})
    kept = [r for r in roots if not any(o != r and o in r.parents for o in roots)]
    # An installed lab (pip install .) lives in the environment's site-packages, which holds no course files; a
    # checkout inside the environment would expose its assignments/source/ (the solutions) and the hidden seed.
    installed_lab = ROOT in {Path(sysconfig.get_path(p)).resolve() for p in ("purelib", "platlib")}
    for r in kept:
        if not installed_lab and (r == ROOT or r in ROOT.parents):
            raise RuntimeError(f"the Python environment {r} contains the course repository {ROOT}; sandboxing it "
                               f"would expose the course: use a virtual environment (python3 -m venv .venv)")
    return kept


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def bwrap_command(command: list[str], mounts: Mounts, uid: int) -> list[str]:
    """The bubblewrap command line running `command` confined as described in the module docstring."""
    python_bin = str(Path(sys.executable).parent)
    args = [BWRAP, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv",
            *_system_binds(), "--proc", "/proc", "--dev", "/dev",
            "--size", str(mounts.tmp_mib * 2**20), "--perms", "1777", "--tmpfs", "/tmp"]
    binds = [("--ro-bind", p) for p in (*python_roots(), *mounts.read_only)] + [("--bind", p) for p in mounts.writable]
    parents = sorted({a for _, p in binds for a in Path(p).parents if a != Path("/")}, key=lambda a: len(a.parts))
    for parent in parents:  # bubblewrap would make them 0700, shutting the sandbox user out
        args += ["--perms", "0755", "--dir", str(parent)]
    for flag, path in binds:
        args += [flag, str(path), str(path)]
    for path in mounts.hidden:  # mounted over what the binds brought in, so nothing under it can be reached
        blocker = str(mounts.blocker or "/dev/null")
        if Path(path).is_dir():
            args += ["--tmpfs", str(path), "--ro-bind", blocker, str(Path(path) / "__init__.py")]
        else:
            args += ["--ro-bind", blocker, str(path)]
    env = {"PATH": f"{python_bin}:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "agg",
           **mounts.env}
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", str(mounts.cwd)]
    if os.geteuid() == 0:  # drop to a user of its own: no capabilities, and RLIMIT_NPROC counts only this sandbox
        args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--", *command]
    else:  # an unprivileged grader: a user namespace of its own, no capabilities
        args[1:1] = ["--unshare-user", "--cap-drop", "ALL"]
        args += ["--", *command]
    return args


def group_name(uid: int) -> str:
    """The control group of sandbox user `uid`'s sandbox: one at a time, since the uid is leased machine-wide."""
    return f"ddpm-lab-{uid}"


def group_of(uid: int) -> cgroup.Group | None:
    """The running sandbox's control group of user `uid`, if it has one (to read its memory verdict)."""
    return cgroup.find(group_name(uid))


def reap(uid: int, timeout_s: float = 10.0) -> None:
    """End the sandbox of user `uid`: kill its control group, or, without one, every process of the user (only
    where sandboxes have users of their own: isolated, as root); return once none is left."""
    group = group_of(uid)
    if group is not None:
        group.kill(timeout_s)
        return
    if os.geteuid() != 0 or isolation_problem() is not None or uid < BASE_UID:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = [pid for pid in _pids() if _uid_of(pid) == uid]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _uid_of(pid: int) -> int | None:
    """The real uid of a live process; None for one gone or a zombie (dead already, waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:") and line.split()[1] == "Z":
                    return None
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def installed(packages: tuple[str, ...]) -> tuple[Path, ...]:
    """Where the running Python's environment holds any of `packages` (a package folder or a module file, in each
    of its site-packages folders): what a sandbox hides so that they cannot be imported there at all."""
    folders = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    folders |= {Path(p) for p in site.getsitepackages()}
    found = []
    for folder in sorted(folders):
        for name in packages:
            found += [p for p in (folder / name, folder / f"{name}.py") if p.exists()]
    return tuple(found)


@functools.lru_cache(maxsize=None)
def isolation_problem() -> str | None:
    """None if bubblewrap confines commands here; otherwise why not, in a few words."""
    if shutil.which(BWRAP) is None:
        return f"bubblewrap ({BWRAP}) is not installed"
    for tool in ("setpriv", "prlimit"):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is not installed"
    try:
        probe = subprocess.run(bwrap_command(["true"], Mounts(), BASE_UID), capture_output=True, text=True,
                               timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return f"bubblewrap could not start ({e})"
    if probe.returncode != 0:
        return f"bubblewrap could not start ({probe.stderr.strip()[:200] or f'exit code {probe.returncode}'})"
    return None


def sandbox(command: list[str], mounts: Mounts, uid: int,
            limits: Limits) -> tuple[list[str], dict[str, str] | None, Path | None]:
    """(argv, env, cwd) for subprocess: bubblewrap's command line under `limits` where it works (env and cwd then
    None: the sandbox sets its own), else the bare command under the limits, same environment and folder.

    Where a control group can be made, the command enters a fresh one (group_name(uid)) before anything else runs,
    holding all its processes to limits.memory_gib and limits.processes in total; reap(uid) ends it.
    """
    group = cgroup.make(group_name(uid), int(limits.memory_gib * 2**30), limits.processes)
    enter = group.enter_argv() if group is not None else []
    if isolation_problem() is None:
        return enter + limits.command() + bwrap_command(command, mounts, uid), None, None
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "OMP_NUM_THREADS": "1",
           "MPLBACKEND": "agg", **mounts.env}
    return enter + limits.command() + command, env, mounts.cwd
