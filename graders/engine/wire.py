"""The wire format: the plain data a grading job and the worker's replies are made of.

The engine (graders/engine/judging.py) writes the job and reads the replies; the worker (graders/sandbox/worker.py)
reads the job and writes the replies, inside the sandbox, where this file, graders/engine/stand_ins.py and the
worker are the only grader code there is (graders/sandbox/runner.py builds that kit). So it imports nothing but torch.

A job, on the worker's stdin:

    {"cells": [{"label", "source", "solution"}, …],
     "units": [{"task", "level", "function", "calls": [[arg, …], …], "call_time_limit", "unit_time_limit",
                "upstream"}, …]}

where an arg is {"tensor": encode_tensor(x)}, {"number": an int or float} or {"model": {kind, …}} (a stand-in
network, spied on, or a stand-in decoder: graders/engine/stand_ins.py), and "upstream" names the student's own
functions of earlier tasks whose calls the worker records. The worker answers, one JSON list per line:

    ["loaded", [note, …]]                 after running every top-level statement of the cells, one at a time
    ["reply", unit_index, reply]          one per call, in order (graders/sandbox/worker.py, `call`)
    ["unit_done", unit_index]             after a unit's last call, or when its time ran out
    ["done"]

A reply's output is encode_value(result). The student's code shares the worker's process and could write anything to
the same pipe, so the grader checks every message's form (graders/sandbox/runner.py) and decodes tensors strictly
(decode_tensor), judging only the numbers.
"""
from __future__ import annotations

import math
from typing import Any

import torch

MAX_ELEMENTS = 1_000_000  # values of one encoded tensor (the grader's inputs: up to ~400,000 noise values)
MAX_OUTPUT_ELEMENTS = 50_000  # values sent back per output (an honest one has at most a few hundred); larger
# outputs are described (dtype, shape), not sent, within what the grader reads of one reply (graders/sandbox/runner.py)
FLOAT_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
                "float64": torch.float64}
INT_DTYPES = {"int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8,
              "uint8": torch.uint8, "bool": torch.bool}


def encode_tensor(x: torch.Tensor, max_elements: int = MAX_ELEMENTS) -> dict:
    """{dtype, shape, device, data}: data is the flat list of values (None off the CPU, for complex x, or past
    max_elements)."""
    dtype = str(x.dtype).removeprefix("torch.")
    shape = [int(s) for s in x.shape]
    data = None
    if x.device.type == "cpu" and not x.is_complex() and x.numel() <= max_elements:
        flat = torch.Tensor.as_subclass(x.detach(), torch.Tensor).reshape(-1)
        data = flat.to(torch.float64).tolist() if x.is_floating_point() else flat.to(torch.int64).tolist()
    return {"dtype": dtype, "shape": shape, "device": str(x.device), "data": data}


def decode_tensor(d: Any, max_elements: int = MAX_ELEMENTS) -> tuple[torch.Tensor | None, str, str, list[int]]:
    """(values as a float64 or int64 tensor, or None; dtype name; device; shape) of an encoded tensor.

    Checks the form strictly, since the grader decodes what a student's process sent: raises ValueError on
    anything that is not exactly an encoded tensor.
    """
    if not isinstance(d, dict) or set(d) != {"dtype", "shape", "device", "data"}:
        raise ValueError("not an encoded tensor")
    dtype, shape, device, data = d["dtype"], d["shape"], d["device"], d["data"]
    if not (isinstance(dtype, str) and len(dtype) < 40 and isinstance(device, str) and len(device) < 40):
        raise ValueError("bad dtype or device")
    if not (isinstance(shape, list) and len(shape) <= 8
            and all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= max_elements for s in shape)):
        raise ValueError("bad shape")
    n = math.prod(shape)
    if data is None:
        return None, dtype, device, shape
    if not (isinstance(data, list) and len(data) == n <= max_elements):
        raise ValueError("data does not match the shape")
    if dtype in FLOAT_DTYPES:
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in data):
            raise ValueError("non-numbers in float data")
        try:
            values = torch.tensor(data, dtype=torch.float64)
        except OverflowError:  # an int beyond float64's range
            raise ValueError("a number beyond float64's range") from None
        return values.reshape(shape), dtype, device, shape
    if dtype in INT_DTYPES:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data):
            raise ValueError("non-integers in integer data")
        return torch.tensor(data, dtype=torch.int64).reshape(shape), dtype, device, shape
    raise ValueError(f"unknown dtype {dtype!r}")


def encode_value(value: Any) -> dict:
    """A student's return value as plain data: a tensor, a NumPy array, a number, or just its type's name."""
    if isinstance(value, torch.Tensor):
        return {"tensor": encode_tensor(value, MAX_OUTPUT_ELEMENTS)}
    if type(value).__module__ == "numpy" and hasattr(value, "dtype") and hasattr(value, "shape"):
        try:
            return {"ndarray": encode_tensor(torch.from_numpy(value.__array__()), MAX_OUTPUT_ELEMENTS)}
        except (TypeError, ValueError, RuntimeError):
            pass
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"number": float(value)}
    return {"other": type(value).__name__[:100]}
