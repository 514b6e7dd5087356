"""The messages a student's process sends the grader: JSON lists, never pickles, checked on arrival.

A student's code shares its process with the pipe's sending end and could write anything down it. Pickle would
let such bytes run code in the grader; JSON cannot, and `read` accepts only these shapes, with a plain
CheckResult for a known task:

    ["loaded", [note, …]]
    ["result", task, CheckResult.to_dict()]
    ["done"]

Anything else, or more than MAX_BYTES, reads as None: the grader then stops that process.
"""
from __future__ import annotations

import json
import math
from numbers import Real

from .checks import TASKS, CheckResult
from .diagnoses import DIAGNOSES

MAX_BYTES = 1 << 20
MAX_NOTES, MAX_NOTE_CHARS = 50, 500


def send(conn, *message) -> None:
    conn.send_bytes(json.dumps(list(message)).encode())


def _check_result(task: str, d) -> dict | None:
    """The result as CheckResult.to_dict(), if `d` has exactly that form with sane types; else None."""
    if not isinstance(d, dict):
        return None
    try:
        r = CheckResult(**d)
    except TypeError:
        return None
    numbers = (r.max_abs_error, r.max_rel_error, r.tolerance, r.runtime_s)
    sane = (r.task == task and isinstance(r.passed, bool) and isinstance(r.status, str)
            and isinstance(r.message, str) and r.message.strip() and isinstance(r.level, str)
            and all(isinstance(x, Real) and not isinstance(x, bool) for x in numbers)
            and all(isinstance(x, int) for x in (r.cases_run, r.cases_failed))
            and (r.diagnosis is None or r.diagnosis in DIAGNOSES)
            and (r.failing_case is None or isinstance(r.failing_case, str))
            and isinstance(r.notes, list) and all(isinstance(n, str) for n in r.notes))
    if not sane or (r.passed and r.status != "passed") or math.isnan(r.runtime_s):
        return None
    return r.to_dict()


def read(conn) -> list | None:
    """The next message on `conn`, checked; None if it is not one of the shapes above (EOFError passes through)."""
    try:
        message = json.loads(conn.recv_bytes(MAX_BYTES))
    except (OSError, ValueError):  # too long, or not JSON
        return None
    if not isinstance(message, list) or not message:
        return None
    kind = message[0]
    if kind == "loaded" and len(message) == 2 and isinstance(message[1], list):
        return ["loaded", [str(n)[:MAX_NOTE_CHARS] for n in message[1][:MAX_NOTES]]]
    if kind == "result" and len(message) == 3 and message[1] in TASKS:
        result = _check_result(message[1], message[2])
        return None if result is None else ["result", message[1], result]
    if kind == "done" and len(message) == 1:
        return ["done"]
    return None
