"""What runs inside the confinement: load a student's definitions, call their functions, return plain JSON.

    python -m graders.sandbox.worker < job.json      # one JSON line per message on stdout

This file, graders/engine/wire.py, graders/engine/stand_ins.py and empty package files are the only grader code the
confined process sees (graders/sandbox/runner.py's kit, mounted by graders/sandbox/confine.py): no expected value, no
check, nothing of `reference`. It reads a job on stdin and answers one JSON line per message, in the format of
graders/engine/wire.py. A unit may name "upstream": the student's own functions of earlier tasks that this one may
call; each call of theirs is recorded (see `Recorder`), so that the grader can tell a task that fails only because
of its upstream function (the worker passes nothing of the grader's to them).

The same `call` serves the notebook's own sanity cells in the student's kernel (graders/student/checks.py), unconfined:
there the student only checks their own work.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import dis
import inspect
import io
import json
import linecache
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from types import CodeType, ModuleType
from typing import Any, Callable

import torch

from ..engine.stand_ins import model_from_spec
from ..engine.wire import FLOAT_DTYPES, INT_DTYPES, decode_tensor, encode_tensor, encode_value

MAX_CALLS, MAX_CALL_T = 10_000, 64  # the stand-in model's call log, as sent back
MAX_RECORDED_VALUES = 2_000  # numbers of one reply's upstream-call log: a small case's whole log, a large one's cut
STATEMENT_TIME_LIMIT_S = 10.0  # per top-level statement while loading the notebook
PROTECTED_PACKAGES = ("reference", "graders", "diffusers")  # code that already does the tasks: solutions may not use it


class StudentTimeout(BaseException):
    """Raised inside the student's code when its time is up (a BaseException, so `except Exception` can't eat it)."""


class _Exit(SystemExit):
    """What os._exit and exit() raise while the student's code runs."""


# ---- the job's inputs, and the spy's log as sent ------------------------------------------------------------

def _call_log(calls: Any) -> Any:
    """The spy's log as sent: at most MAX_CALLS calls of at most MAX_CALL_T timesteps each (an honest one has at
    most 1000 calls of 6); whatever is not a list of int lists goes as it is, for the grader to refuse."""
    if not isinstance(calls, list):
        return calls
    return [c[:MAX_CALL_T] if isinstance(c, list) else c for c in calls[:MAX_CALLS]]


def decode_arg(arg: dict):
    """A call's input: a tensor in its dtype, a plain number, or a stand-in model (behind a spy)."""
    if "model" in arg:
        return model_from_spec(arg["model"])
    if "number" in arg:
        return arg["number"]
    values, dtype, _, _ = decode_tensor(arg["tensor"])
    return values.to(FLOAT_DTYPES.get(dtype) or INT_DTYPES[dtype])


# ---- one guarded call ---------------------------------------------------------------------------------------

_REAL_OS_EXIT = os._exit


def _raise_exit(*args, **kwargs):
    """Stands in for os._exit and exit() in the main thread; other threads exit for real."""
    if threading.current_thread() is not threading.main_thread():
        _REAL_OS_EXIT(*args)
    raise _Exit(args[0] if args else None)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    if seconds is None or threading.current_thread() is not threading.main_thread():
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


def _is_out_of_memory(e: BaseException) -> bool:
    text = str(e)
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and (
        "can't allocate memory" in text or "Cannot allocate memory" in text or "not enough memory" in text))


def _student_line(error: BaseException) -> str:
    """The last frame of the student's own code in the traceback, as ' (line N in f: source)'."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith("<") and f.filename != "<string>"]
    if not frames:
        return ""
    f = frames[-1]
    return f" (line {f.lineno} in {f.name}: {f.line.strip()})" if f.line else f" (in {f.name})"


def guarded(fn: Callable, args: tuple, time_limit: float | None) -> dict:
    """Run fn(*args) with stdout, stderr and warnings caught, exits and the time limit turned into outcomes.

    Returns {"kind": ok|error|timeout|memory|exit, "value": the result (ok only), "error": {type, message,
    where}, "printed": lines printed, "warned": the first warning or stderr line}.
    """
    out, err = io.StringIO(), io.StringIO()
    g = getattr(fn, "__globals__", {})
    saved_exits = {name: g[name] for name in ("exit", "quit") if name in g}
    saved_os_exit = os._exit
    result: dict = {"kind": "ok", "value": None, "error": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            os._exit = _raise_exit
            g.update({name: _raise_exit for name in saved_exits})
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _time_limit(time_limit):
                result["value"] = fn(*args)
        except StudentTimeout:
            result["kind"] = "timeout"
        except SystemExit:
            result["kind"] = "exit"
        except BaseException as e:  # noqa: BLE001 - anything the student's code raises is an outcome
            result["kind"] = "memory" if _is_out_of_memory(e) else "error"
            first = str(e).splitlines()[0][:300] if str(e) else ""
            result["error"] = {"type": type(e).__name__[:100], "message": first, "where": _student_line(e)[:300]}
        finally:
            os._exit = saved_os_exit
            g.update(saved_exits)
    result["printed"] = len(out.getvalue().splitlines())
    warned = [f"{w.category.__name__}: {w.message}" for w in caught] + err.getvalue().strip().splitlines()
    result["warned"] = warned[0][:200] if warned else None
    return result


# ---- the integrity rule: solutions compute the math themselves ----------------------------------------------

def _code_objects(code: CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_objects(const)


def _protected(name: str) -> bool:
    return name.split(".")[0] in PROTECTED_PACKAGES


def static_touches(fn: Callable) -> list[str]:
    """What fn's code visibly takes from PROTECTED_PACKAGES: imports, global names bound to them, and
    string constants naming them (importlib.import_module("reference"), open("reference/diffusion/q.py"))."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, CodeType):
        return []
    g = getattr(fn, "__globals__", {})
    found: list[str] = []
    for c in _code_objects(code):
        for ins in dis.get_instructions(c):
            if ins.opname == "IMPORT_NAME" and _protected(str(ins.argval)):
                found.append(f"import {ins.argval}")
            elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval in g:
                obj = g[ins.argval]
                origin = getattr(obj, "__name__", "") if isinstance(obj, type(sys)) else getattr(obj, "__module__", "")
                if isinstance(origin, str) and _protected(origin):
                    found.append(f"{ins.argval} (from {origin})")
            elif ins.opname == "LOAD_CONST" and isinstance(ins.argval, str) and (
                    _protected(ins.argval) and " " not in ins.argval
                    or any(f"{p}/" in ins.argval or f"{p}\\" in ins.argval for p in PROTECTED_PACKAGES)):
                found.append(repr(ins.argval))
    return list(dict.fromkeys(found))[:5]


# ---- the student's own upstream functions, recorded -------------------------------------------------------

class Recorder:
    """Stands in, during one call, for the student's functions named `names` in fn's globals: calls the student's
    own function and records each call's arguments (by the parameter names of that function's signature) and its
    result, as plain data, up to MAX_RECORDED_VALUES numbers; past that the log is marked cut.

    It adds nothing to what the student's code computes or can see: it passes the student's own results through.
    """

    def __init__(self, fn: Any, names: list[str]):
        self.globals = getattr(fn, "__globals__", None)
        self.names = [n for n in names if isinstance(n, str) and isinstance(self.globals, dict)
                      and callable(self.globals.get(n)) and self.globals.get(n) is not fn]
        self.saved: dict[str, Any] = {}
        self.log: list[dict] = []
        self.values, self.cut = 0, False

    def __enter__(self):
        for name in self.names:
            self.saved[name] = self.globals[name]
            self.globals[name] = self._recording(name, self.saved[name])
        return self

    def __exit__(self, *exc):
        self.globals.update(self.saved)

    def _recording(self, name: str, original: Callable) -> Callable:
        def recorded(*args, **kwargs):
            out = original(*args, **kwargs)
            self._note(name, original, args, kwargs, out)
            return out
        return recorded

    def _note(self, name: str, original: Callable, args: tuple, kwargs: dict, out: Any) -> None:
        if self.cut:
            return
        try:
            bound = inspect.signature(original).bind(*args, **kwargs).arguments
        except Exception:  # noqa: BLE001 - no signature to read: the arguments by position
            bound = {str(i): a for i, a in enumerate(args)}
        shown = list(bound.items())[:12]
        self.values += sum(v.numel() for v in [*(v for _, v in shown), out] if isinstance(v, torch.Tensor))
        if self.values > MAX_RECORDED_VALUES:
            self.cut = True
            return
        self.log.append({"function": name, "args": {str(k)[:40]: _recorded(v) for k, v in shown},
                         "output": _recorded(out)})

    def sent(self) -> dict | None:
        return {"calls": self.log, "cut": self.cut} if self.names else None


def _recorded(value: Any) -> dict:
    """An argument or result of an upstream call as plain data: a tensor, a number, or only its type's name."""
    if isinstance(value, torch.Tensor) and not value.is_complex():
        return {"tensor": encode_tensor(value, MAX_RECORDED_VALUES)}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"number": float(value)}
    return {"other": type(value).__name__[:100]}


# ---- a call, as the grader asked for it ---------------------------------------------------------------------

def call(fn: Any, args: list[dict], time_limit: float | None, upstream: list[str] = ()) -> dict:
    """Call the student's `fn` on decoded `args` and describe what happened as plain data:

    {"kind": ok|error|timeout|memory|exit|missing|integrity, "output": encode_value(result) (ok only),
     "error": {type, message, where}, "changed": indices of inputs changed in place, "model_calls": the t of each
     call of the spied model, "upstream_calls": the Recorder's log of the `upstream` functions fn called (if any
     were asked for), "printed", "warned", "touched": what of the lab's code fn uses, "seconds"}
    """
    start = time.perf_counter()
    if not callable(fn):
        return {"kind": "missing", "other": type(fn).__name__[:100]}
    touched = static_touches(fn)
    if touched:
        return {"kind": "integrity", "touched": touched}
    inputs = [decode_arg(a) for a in args]
    pristine = [x.clone() if isinstance(x, torch.Tensor) else None for x in inputs]

    recorder = Recorder(fn, list(upstream))

    def run():
        with recorder:
            value = fn(*inputs)
        return encode_value(value)  # inside the time limit: a lying tensor subclass may hang here too

    result = guarded(run, (), time_limit)
    result["upstream_calls"] = recorder.sent()
    result["output"] = result.pop("value")
    result["changed"] = [i for i, (before, after) in enumerate(zip(pristine, inputs))
                         if before is not None and not (isinstance(after, torch.Tensor)
                                                        and torch.equal(before, torch.Tensor.as_subclass(after, torch.Tensor)))]
    spies = [x for x in inputs if hasattr(x, "calls") and hasattr(x, "eps_fn")]
    result["model_calls"] = _call_log(spies[0].calls) if spies else None
    result["seconds"] = time.perf_counter() - start
    return result


# ---- loading a notebook's definitions -----------------------------------------------------------------------

def load(cells: list[dict]) -> tuple[dict, list[str]]:
    """Run every top-level statement of the cells in one fresh namespace, each on its own under
    STATEMENT_TIME_LIMIT_S: one that raises, exits or overruns is skipped and the rest still run.
    Problems are noted for the cells students write (solution cells)."""
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    notes: list[str] = []
    for cell in cells:
        label, source, solution = cell["label"], cell["source"], cell["solution"]
        filename = f"<{label}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            tree = ast.parse(source, filename=filename)
        except SyntaxError as e:
            if solution:
                notes.append(f"{label} was not run: SyntaxError at line {e.lineno}: {e.msg}")
            continue
        for statement in tree.body:
            if _bind_lab_imports(statement, namespace):
                continue
            code = compile(ast.Module(body=[statement], type_ignores=[]), filename, "exec")
            outcome = guarded(exec, (code, namespace), STATEMENT_TIME_LIMIT_S)
            if outcome["kind"] != "ok" and solution:
                error = outcome["error"]
                why = f": {error['type']}: {error['message'][:200]}" if error else ""
                notes.append(f"{label}, line {statement.lineno} skipped ({outcome['kind']}){why}")
    return namespace, notes


def _bind_lab_imports(statement: ast.stmt, namespace: dict) -> bool:
    """For an import from PROTECTED_PACKAGES (absent here, or not to be used), bind each name to a module named after
    what it imports, so that static_touches still reports a function that uses it; True if it was such an import."""
    if isinstance(statement, ast.ImportFrom) and statement.module and _protected(statement.module):
        for alias in statement.names:
            namespace[alias.asname or alias.name] = ModuleType(f"{statement.module}.{alias.name}")
        return True
    if isinstance(statement, ast.Import) and any(_protected(a.name) for a in statement.names):
        for alias in statement.names:
            namespace[alias.asname or alias.name.split(".")[0]] = ModuleType(
                alias.name if alias.asname else alias.name.split(".")[0])
        return True
    return False


# ---- the process's main loop --------------------------------------------------------------------------------

def _protocol_stream():
    """This process's stdout as the protocol channel; fds 1 and 2 then point at /dev/null, so nothing the
    student's code writes at the C level reaches the grader's terminal or mixes into the protocol by accident."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    return channel


def main() -> None:
    channel = _protocol_stream()

    def send(*message) -> None:
        channel.write(json.dumps(list(message)) + "\n")
        channel.flush()

    torch.set_num_threads(1)
    job = json.loads(sys.stdin.read())
    namespace, notes = load(job["cells"])
    send("loaded", notes)
    for index, unit in enumerate(job["units"]):
        started = time.perf_counter()
        for args in unit["calls"]:
            if time.perf_counter() - started > unit["unit_time_limit"]:
                break
            reply = call(namespace.get(unit["function"]), args, unit["call_time_limit"], unit.get("upstream", []))
            send("reply", index, reply)
            if reply["kind"] != "ok":
                break  # a raise, a timeout, an exit: the grader judges no further, so the next cases need not run
        send("unit_done", index)
    send("done")
    channel.close()
    _REAL_OS_EXIT(0)  # no interpreter shutdown: objects the student left behind run no finalisers


if __name__ == "__main__":
    main()
