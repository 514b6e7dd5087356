"""A task that fails only because the student's own earlier function is wrong: reading the worker's log of the
calls a task made to its upstream functions (graders/sandbox/worker.py, Recorder), for the task specs' `blame`.

    eps_loss -> q_sample;  ddim_sample -> ddim_step;  sample_latent -> ddim_sample

The log is the student's process's word, read as untrusted plain data: `read_log` rebuilds float64 tensors and
numbers and refuses anything else. It can only change which story a failing task's feedback tells, never a score.
The blame itself is decided here, in the grader, against `reference/`: the upstream function's recorded output is
wrong on the inputs it was given, and the task's output is exactly what its own formula gives on those outputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .cases import tolerance
from .wire import decode_tensor

MAX_LOGGED_CALLS = 1_000  # an honest DDIM loop makes at most T = 50 calls per case


@dataclass(frozen=True)
class UpstreamCall:
    """One recorded call: the function's name, its arguments by parameter name (float64 tensors, numbers, or None
    for anything else) and its result (the same)."""

    function: str
    args: dict[str, torch.Tensor | float | None]
    output: torch.Tensor | float | None

    def arg(self, name: str, position: int):
        """The argument by its parameter name, or else by its position (a student may name the parameters otherwise;
        the log keeps the signature's order)."""
        if name in self.args:
            return self.args[name]
        values = list(self.args.values())
        return values[position] if position < len(values) else None


@dataclass(frozen=True)
class UpstreamLog:
    calls: list[UpstreamCall]
    cut: bool  # the worker stopped recording (too many numbers): the log says nothing about the rest


def _value(d: Any) -> torch.Tensor | float | None:
    if not isinstance(d, dict) or len(d) != 1:
        raise ValueError("bad recorded value")
    (kind, payload), = d.items()
    if kind == "number":
        if not isinstance(payload, (int, float)) or isinstance(payload, bool):
            raise ValueError("bad recorded number")
        return float(payload)
    if kind == "tensor":
        values, _, device, _ = decode_tensor(payload)
        return values.to(torch.float64) if values is not None and device == "cpu" else None
    if kind == "other":
        return None
    raise ValueError("bad recorded value")


def read_log(value: Any) -> UpstreamLog | None:
    """The worker's `upstream_calls` as an UpstreamLog (None if none was asked for); ValueError if it is not of the
    form the worker sends."""
    if value is None:
        return None
    if not (isinstance(value, dict) and set(value) == {"calls", "cut"} and isinstance(value["cut"], bool)
            and isinstance(value["calls"], list) and len(value["calls"]) <= MAX_LOGGED_CALLS):
        raise ValueError("bad upstream-call log")
    calls = []
    for c in value["calls"]:
        if not (isinstance(c, dict) and set(c) == {"function", "args", "output"} and isinstance(c["function"], str)
                and isinstance(c["args"], dict) and len(c["args"]) <= 12):
            raise ValueError("bad upstream call")
        args = {str(k)[:40]: _value(v) for k, v in c["args"].items()}
        calls.append(UpstreamCall(c["function"][:100], args, _value(c["output"])))
    return UpstreamLog(calls, value["cut"])


def equal_to(value, number: float) -> bool:
    """Is a recorded value (a number, or a tensor such as a (B,) t) `number` throughout?"""
    if isinstance(value, float):
        return value == number
    return isinstance(value, torch.Tensor) and value.numel() > 0 and bool((value == number).all())


def close(a, b, dtype: torch.dtype) -> bool:
    """Are two recorded or computed values (tensors or numbers) the same within `dtype`'s tolerance?"""
    if a is None or b is None:
        return False
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape:
        return False
    return bool(((a - b).abs() <= tolerance(dtype) * (1 + b.abs())).all())
