"""The compute service's batches in a child process of their own, at the lowest priority: on a machine of a few
cores, a batch in the server's own process shares one interpreter lock with every student's page rerun, and 1000
sampling steps for 45 students keep light interactions waiting seconds (README "Serving a class"). The child has its own
interpreter and runs at nice 19, so the server's reruns take the cores first and the batches take what is left.

The child is `python -m lab_app.server.compute.child THREADS NICE`, talking over its stdin and stdout (pickled messages,
`multiprocessing.connection`): the parent sends a batch's requests; the child answers with ("progress", done, total,
previews) at most every `jobs.PROGRESS_EVERY_S`, then ("done", results) or ("failed", exception). A child that dies
(killed, out of memory) is started again and the batch rerun once; dying twice on one batch fails it with `WorkerDied`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Sequence

from .requests import BoundRequest, SampleRequest

ROOT = Path(__file__).resolve().parents[3]  # the repository: the child imports lab_app and reference from here
WORKER_NICE = 19


class WorkerDied(RuntimeError):
    """The compute process ended while running a batch, twice."""


class _Gone(Exception):
    """The child's pipe broke: it died."""


class WorkerProcess:
    """Runs batches (`jobs.run_batch`) in one child process, one batch at a time, started on the first batch and again
    after it dies. `threads`: the child's torch threads (default: all cores but one, at least one)."""

    def __init__(self, threads: int | None = None, nice: int = WORKER_NICE):
        self.threads = threads if threads is not None else max(1, (os.cpu_count() or 2) - 1)
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1; got {self.threads}")
        self.nice, self.starts = nice, 0
        self._proc: subprocess.Popen | None = None
        self._send = self._receive = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The running child's process id (None before the first batch)."""
        return None if self._proc is None or self._proc.poll() is not None else self._proc.pid

    def __call__(self, requests: Sequence[SampleRequest | BoundRequest], progress=None) -> list[dict]:
        with self._lock:
            try:
                kind, body = self._run(requests, progress)
            except _Gone:
                try:
                    kind, body = self._run(requests, progress)  # in a fresh child, once
                except _Gone:
                    raise WorkerDied(f"the compute process died twice running this batch of {len(requests)} "
                                     f"request(s) (exit code {self._proc.returncode})") from None
        if kind == "failed":
            raise body  # the request's own error, from the child
        return body

    def _run(self, requests, progress) -> tuple[str, object]:
        """("done", results) or ("failed", the job's exception); _Gone when the child dies."""
        if self.pid is None:
            self._start()
        try:
            self._send.send(list(requests))
            while True:
                kind, *body = self._receive.recv()
                if kind != "progress":
                    return kind, body[0]
                if progress is not None:
                    progress(*body)
        except (EOFError, OSError):
            self._proc.wait()
            raise _Gone from None

    def _start(self) -> None:
        self.close()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "lab_app.server.compute.child", str(self.threads), str(self.nice)]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, env=env)
        self._send = Connection(os.dup(self._proc.stdin.fileno()), readable=False)
        self._receive = Connection(os.dup(self._proc.stdout.fileno()), writable=False)
        self.starts += 1

    def close(self) -> None:
        """Stop the child (it also ends by itself when the server's end of its pipe closes)."""
        for end in (self._send, self._receive):
            if end is not None:
                end.close()
        self._send = self._receive = None
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                pipe.close()
            self._proc = None
