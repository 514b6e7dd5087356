"""The benchmarks' one clock: the median wall time of repeated calls, synchronising CUDA so that a GPU's queued work
is counted."""
from __future__ import annotations

import statistics
import time

import torch


def timed(fn, repeats: int, device: torch.device) -> float:
    """Median seconds of `repeats` calls of fn after one untimed call."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
