"""The compute process's side of process.py: `python -m lab_app.server.compute.child THREADS NICE` reads batches on
stdin and writes their progress and results on what was its stdout."""
from __future__ import annotations

import os
import pickle
import sys
from multiprocessing.connection import Connection

import torch

from lab_app.server.compute import jobs
from lab_app.server.compute.host import return_freed_memory

GONE = (EOFError, BrokenPipeError, ConnectionResetError)  # the server closed its end of the pipe


def _portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling, else a RuntimeError with its type and message."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 (any unpicklable exception)
        return RuntimeError(f"{type(error).__name__}: {error}")


def serve(threads: int, nice: int) -> None:
    """Batches in on stdin, progress and results out on what was stdout (prints go to stderr), at priority `nice`
    with `threads` torch threads, until the server closes its end."""
    receive = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must not corrupt the messages
    os.setpriority(os.PRIO_PROCESS, 0, nice)
    torch.set_num_threads(threads)
    try:
        while True:
            requests = receive.recv()
            try:
                reply = ("done", jobs.run_batch(requests, lambda *report: send.send(("progress", *report))))
            except GONE:
                raise
            except Exception as e:  # noqa: BLE001 (the request's own error goes back to its ticket)
                reply = ("failed", _portable(e))
            send.send(reply)
            del reply
            return_freed_memory()  # a batch's freed activations and results, back to the OS
    except GONE:
        return


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
