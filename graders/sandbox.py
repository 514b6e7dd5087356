"""Calling a student's function inside the grading kernel without letting it take the kernel down.

`call_student(fn, *args)` runs one call under
- a time limit (SIGALRM, main thread only): an infinite loop becomes a `timeout` outcome;
- a memory cap (RLIMIT_AS, Linux): a 10 GB allocation fails at once and becomes a `memory` outcome;
- captured stdout, stderr (Python and file descriptor 2) and warnings: nbgrader gives zero to a cell that
  writes to stderr, so nothing the student's code writes reaches the cell;
- `sys.exit()`, `exit()` and `os._exit()` turned into an `exit` outcome;
- an integrity guard: any call into the `reference` or `graders` packages, or any file opened inside them,
  is recorded (code the grader hands in, such as its spy model, is allowed).

`protect_kernel()` guards a whole notebook kernel, for code outside any check (a solution cell's top level, a
plot cell): a memory cap, so that a runaway allocation fails in its cell, and an os._exit() that raises instead of
killing the kernel (which would lose the whole submission). The caps are no-ops where the platform lacks them.
"""
from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any, Callable

try:
    import resource
except ImportError:  # Windows
    resource = None

GIB = 2**30
PROTECTED_PACKAGES = ("reference", "graders")
_ROOT = Path(__file__).resolve().parents[1]
PROTECTED_DIRS = tuple(str(_ROOT / name) + os.sep for name in PROTECTED_PACKAGES)


class StudentTimeout(BaseException):
    """Raised inside the student's code when its time is up (a BaseException, so `except Exception` can't eat it)."""


class _Exit(SystemExit):
    """What `os._exit` and `exit()` raise while a student's function runs."""


@dataclass
class Call:
    """The outcome of one call of a student's function: `kind` is ok, error, timeout, memory, exit."""

    kind: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    warnings: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # reference/graders code called or files read


def virtual_memory_bytes() -> int | None:
    """This process's virtual memory size (what RLIMIT_AS counts), or None off Linux."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, AttributeError, ValueError):
        return None


@contextlib.contextmanager
def memory_cap(extra_bytes: int):
    """Cap the address space at its current size plus `extra_bytes` (never above an existing cap), then restore."""
    now = virtual_memory_bytes()
    if resource is None or now is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + extra_bytes
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def limit_kernel_memory(extra_gib: float = 6.0) -> str:
    """Cap this kernel's address space at its current size plus `extra_gib` GiB; returns a one-line note.

    Skipped where a CUDA GPU is visible: CUDA reserves far more address space than it uses.
    """
    now = virtual_memory_bytes()
    if resource is None or now is None:
        return "memory cap: not available on this platform"
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
        return "memory cap: skipped (a CUDA GPU is visible)"
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + int(extra_gib * GIB)
    if soft != resource.RLIM_INFINITY and soft < cap:
        return f"memory cap: already {soft / GIB:.1f} GiB"
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return f"memory cap: {cap / GIB:.1f} GiB of address space for this kernel"


def protect_kernel(extra_gib: float = 6.0) -> str:
    """limit_kernel_memory(extra_gib), and os._exit() in the main thread raising SystemExit; returns a note."""
    os._exit = _raise_exit
    return limit_kernel_memory(extra_gib)


# ---- the integrity guard -------------------------------------------------------------------------------------

class _Guard:
    """Records calls into protected code, and protected files opened, while a student's function runs."""

    active: "_Guard | None" = None
    _audit_installed = False

    def __init__(self, allowed: tuple[CodeType, ...]):
        self.allowed = set(allowed)
        self.touched: list[str] = []
        self.thread = threading.get_ident()

    def note(self, what: str) -> None:
        if what not in self.touched and len(self.touched) < 5:
            self.touched.append(what)

    def profile(self, frame, event, arg):
        filename = frame.f_code.co_filename
        if event != "call" or not filename.startswith(PROTECTED_DIRS) or filename == __file__ \
                or frame.f_code in self.allowed:
            return
        f = frame.f_back
        while f is not None:  # a call made from inside grader-supplied code (the spy model) is allowed
            if f.f_code in self.allowed:
                return
            f = f.f_back
        module = frame.f_globals.get("__name__", "?")
        self.note(f"{module}.{frame.f_code.co_qualname}" if hasattr(frame.f_code, "co_qualname")
                  else f"{module}.{frame.f_code.co_name}")

    @classmethod
    def audit(cls, event: str, args) -> None:
        guard = cls.active
        if guard is None or threading.get_ident() != guard.thread:
            return
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path.startswith(PROTECTED_DIRS):
                guard.note(f"the file {os.path.relpath(path, _ROOT)}")
        elif event == "import" and args and str(args[0]).split(".")[0] in PROTECTED_PACKAGES:
            guard.note(f"import {args[0]}")

    @classmethod
    def install_audit_hook(cls) -> None:
        if not cls._audit_installed:
            sys.addaudithook(cls.audit)
            cls._audit_installed = True


# ---- one guarded call ----------------------------------------------------------------------------------------

def _is_out_of_memory(e: BaseException) -> bool:
    text = str(e)
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and (
        "can't allocate memory" in text or "Cannot allocate memory" in text or "not enough memory" in text))


_REAL_OS_EXIT = getattr(os, "_real_exit_before_graders", os._exit)  # survives a reload of this module
os._real_exit_before_graders = _REAL_OS_EXIT


def _raise_exit(*args, **kwargs):
    """Stands in for os._exit and exit(): a SystemExit in the main thread; other threads (ipykernel's parent
    poller) still exit for real."""
    if threading.current_thread() is not threading.main_thread():
        _REAL_OS_EXIT(*args)
    raise _Exit(args[0] if args else None)


@contextlib.contextmanager
def _time_limit(seconds: float):
    main = threading.current_thread() is threading.main_thread()
    if not main or seconds is None or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise StudentTimeout(f"no result within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)  # repeats, in case the student's code swallows one
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _captured_fd2():
    """Point file descriptor 2 at a temporary file (C-level writes to stderr), then restore it."""
    try:
        saved = os.dup(2)
    except OSError:
        yield lambda: ""
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        if hasattr(sys.stderr, "flush"):
            sys.stderr.flush()
        os.dup2(tmp.fileno(), 2)
        try:
            yield lambda: (tmp.seek(0), tmp.read().decode(errors="replace"))[1]
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def call_student(fn: Callable, *args, time_limit: float | None = 5.0, memory_bytes: int = 2 * GIB,
                 allowed: tuple[CodeType, ...] = ()) -> Call:
    """Call fn(*args) under the time limit, memory cap, output capture and integrity guard described above."""
    _Guard.install_audit_hook()
    guard = _Guard(allowed)
    out, err = io.StringIO(), io.StringIO()
    saved_os_exit = os._exit  # the real one, or protect_kernel's stand-in
    g = getattr(fn, "__globals__", {})
    saved_exits = {name: g[name] for name in ("exit", "quit") if name in g}
    call = Call(kind="ok")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _captured_fd2() as fd2_text:
        warnings.simplefilter("always")
        try:
            os._exit = _raise_exit
            for name in saved_exits:
                g[name] = _raise_exit
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), memory_cap(memory_bytes), \
                    _time_limit(time_limit):
                _Guard.active = guard
                previous_profile = sys.getprofile()
                sys.setprofile(guard.profile)
                try:
                    call.value = fn(*args)
                finally:
                    sys.setprofile(previous_profile)
                    _Guard.active = None
        except StudentTimeout as e:
            call.kind, call.error = "timeout", e
        except SystemExit as e:
            call.kind, call.error = "exit", e
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001 - anything the student's code raises is a result
            call.kind, call.error = ("memory" if _is_out_of_memory(e) else "error"), e
        finally:
            os._exit = saved_os_exit
            g.update(saved_exits)
            call.stderr = fd2_text()
    call.seconds = time.perf_counter() - start
    call.stdout, call.stderr = out.getvalue(), err.getvalue() + call.stderr
    call.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    call.touched = guard.touched
    return call


def _code_objects(code: CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_objects(const)


def _protected_name(name: str) -> bool:
    return name.split(".")[0] in PROTECTED_PACKAGES


def static_touches(fn: Callable) -> list[str]:
    """What fn's code visibly takes from `reference` or `graders`: imports, global names bound to them, and
    string constants naming them (importlib.import_module("reference"), open("reference/diffusion.py"))."""
    import dis

    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    g = getattr(fn, "__globals__", {})
    found: list[str] = []
    for c in _code_objects(code):
        for ins in dis.get_instructions(c):
            if ins.opname == "IMPORT_NAME" and _protected_name(str(ins.argval)):
                found.append(f"import {ins.argval}")
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval in g:
                obj = g[ins.argval]
                origin = getattr(obj, "__name__", "") if isinstance(obj, type(sys)) else getattr(obj, "__module__", "")
                if isinstance(origin, str) and _protected_name(origin):
                    found.append(f"{ins.argval} (from {origin})")
            elif ins.opname == "LOAD_CONST" and isinstance(ins.argval, str) and (
                    _protected_name(ins.argval) and " " not in ins.argval
                    or any(f"{p}/" in ins.argval or f"{p}\\" in ins.argval for p in PROTECTED_PACKAGES)):
                found.append(repr(ins.argval))
    return list(dict.fromkeys(found))
