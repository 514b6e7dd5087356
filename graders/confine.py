"""Confining the process that runs one student's code (called once, inside that process, before any of it runs).

`confine(scratch, private_roots, limits)`:
- makes the process the leader of a new session, so the parent can kill it and anything it started at once;
- caps its address space (RLIMIT_AS), CPU time (RLIMIT_CPU) and the size of any file it writes (RLIMIT_FSIZE);
- moves it into `scratch`, an empty folder of its own, and points temporary files there;
- installs an audit hook (PEP 578) that refuses, with a PermissionError naming the rule:
  writing, creating, renaming or deleting files outside `scratch`; reading or listing anything under
  `private_roots` (the other submissions and the report); starting processes (fork, exec, spawn, system,
  subprocess), sending signals, opening sockets and loading native code through ctypes.

Audit hooks are a guard rail, not a security boundary: code determined to escape Python (a C extension it
writes itself, say) can. The process boundary is what protects the other students' results: whatever this
process does, the parent reads only checked JSON from its pipe (graders/messages.py) and kills it when its
time is up.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .sandbox import virtual_memory_bytes

_PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.startfile",
                   "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
                   "socket.connect", "socket.bind", "socket.sendto", "ctypes.dlopen", "ctypes.dlsym",
                   "ctypes.addressof", "ctypes.cdata", "ctypes.call_function"}
_PATH_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.chmod", "os.chown", "os.link",
                "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move",
                "os.chdir", "os.setxattr", "os.removexattr"}
_LIST_EVENTS = {"os.listdir", "os.scandir", "glob.glob"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclass(frozen=True)
class Limits:
    """Per-process limits for one student's code: extra address space over the grader's own, CPU seconds, file size."""

    memory_gib: float = 4.0
    cpu_s: int = 300
    file_mib: int = 64


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + os.sep) for r in roots)


class _Policy:
    """The audit hook: one instance per process, installed once (audit hooks cannot be removed)."""

    def __init__(self, scratch: str, private_roots: tuple[str, ...]):
        self.scratch = (scratch,)
        self.private = private_roots

    def _path(self, arg) -> str | None:
        if isinstance(arg, int):
            return None  # a file descriptor already open
        try:
            return os.path.realpath(os.fsdecode(arg))
        except (TypeError, ValueError):
            return None

    def __call__(self, event: str, args) -> None:
        if event in _PROCESS_EVENTS:
            raise PermissionError(f"not allowed while grading: {event} (student code may not start processes, "
                                  f"send signals, open sockets or load native code)")
        if event == "open" and args:
            path = self._path(args[0])
            if path is None:
                return
            mode = str(args[1] or "r") if len(args) > 1 else "r"
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            writes = any(c in mode for c in "wax+") or bool(flags & _WRITE_FLAGS)
            if writes and not _inside(path, self.scratch):
                raise PermissionError(f"not allowed while grading: writing {path}")
            if _inside(path, self.private):
                raise PermissionError(f"not allowed while grading: reading {path}")
        elif event in _PATH_EVENTS and args:
            for arg in args[:2]:
                path = self._path(arg) if isinstance(arg, (str, bytes, os.PathLike)) else None
                if path is not None and not _inside(path, self.scratch):
                    raise PermissionError(f"not allowed while grading: {event} on {path}")
        elif event in _LIST_EVENTS and args:
            path = self._path(args[0]) if isinstance(args[0], (str, bytes, os.PathLike)) else None
            if path is not None and _inside(path, self.private):
                raise PermissionError(f"not allowed while grading: listing {path}")


def _cap(kind: int, value: int) -> None:
    """Set the soft limit of `kind` to `value`, or to the hard limit if that is lower."""
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def confine(scratch: Path, private_roots: tuple[Path, ...], limits: Limits) -> None:
    """Confine this process as the module docstring says; call it before running any student code."""
    os.setsid()
    os.chdir(scratch)
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = str(scratch)
    now = virtual_memory_bytes()  # None off Linux: no address-space cap there
    if now is not None:
        _cap(resource.RLIMIT_AS, now + int(limits.memory_gib * 2**30))
    _cap(resource.RLIMIT_CPU, limits.cpu_s)
    _cap(resource.RLIMIT_FSIZE, limits.file_mib * 2**20)
    roots = tuple(os.path.realpath(p) for p in private_roots)
    sys.addaudithook(_Policy(os.path.realpath(scratch), roots))
