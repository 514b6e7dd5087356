"""Page scripts take turns: at most `DDPM_LAB_CONCURRENT_SCRIPTS` (default 1) of the server process's page runs and
fragment reruns execute at once, the others wait for a turn, in about the order they came.

Every session's script runs in a thread of its own, and all of them share one interpreter lock. With 50 students, a
dozen reruns at once handed that lock to each other every few milliseconds, each waiting to be scheduled again, and
the server did less work the more it was asked: interactions that take 0.1 s alone took 2–3 s at p95 while the
server process used a third of a core (bench/bench_load.py; README "Serving a class"). Taking turns, each rerun runs
at its solo speed and the queue drains. A page that waits for work running elsewhere (a compute-service ticket, a
cached computation in its own thread: lab_app/ui/progress.py) steps aside while it waits, so that a long wait holds no
turn. Only there: a wait inside a cached function keeps its turn, since a script that took the turn meanwhile could
block on that function's key, which the waiting one holds, and neither would go on.
"""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Iterator

from lab_app.server.settings import settings


class Turns:
    """At most `k` threads hold a turn at once; a thread that holds one may ask again (it keeps the one it has)."""

    def __init__(self, k: int):
        if k < 1:
            raise ValueError(f"at least one script must be able to run; got {k}")
        self.k = k
        self._slots = threading.BoundedSemaphore(k)
        self._mine = threading.local()

    @property
    def held(self) -> bool:
        """Whether the calling thread holds a turn."""
        return getattr(self._mine, "depth", 0) > 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block, waiting for one if all are taken (at once if this thread holds one)."""
        if not self.held:
            self._slots.acquire()
        self._mine.depth = getattr(self._mine, "depth", 0) + 1
        try:
            yield
        finally:
            self._mine.depth -= 1
            if self._mine.depth == 0:
                self._slots.release()

    @contextmanager
    def stepped_aside(self) -> Iterator[None]:
        """Give this thread's turn back for the block (a wait), and wait for one again after it."""
        depth = getattr(self._mine, "depth", 0)
        if depth:
            self._mine.depth = 0
            self._slots.release()
        try:
            yield
        finally:
            if depth:
                self._slots.acquire()
                self._mine.depth = depth


@functools.cache
def turns() -> Turns:
    """The server process's turns: `settings().concurrent_scripts` at once (DDPM_LAB_CONCURRENT_SCRIPTS)."""
    return Turns(settings().concurrent_scripts)
