"""Does the grader accept from a student's process only the messages of the protocol, never a pickle?"""
from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import pickle
import threading

import pytest

from graders import messages
from graders.checks import CheckResult


@pytest.fixture()
def pipe():
    receive, send = mp.Pipe(duplex=False)
    yield receive, send
    receive.close()
    send.close()


def result(**changes) -> dict:
    return {**CheckResult("q_sample", "full", True, "passed", "q_sample: passed all 27 cases.").to_dict(), **changes}


def test_protocol_messages_round_trip(pipe):
    """Do loaded, result (NaN errors included) and done arrive as sent?"""
    receive, send = pipe
    messages.send(send, "loaded", ["cell 6: 1 top-level statement(s) not run"])
    messages.send(send, "result", "q_sample", result())
    messages.send(send, "done")
    assert messages.read(receive) == ["loaded", ["cell 6: 1 top-level statement(s) not run"]]
    kind, task, got = messages.read(receive)
    assert (kind, task, got["passed"]) == ("result", "q_sample", True) and math.isnan(got["max_abs_error"])
    assert messages.read(receive) == ["done"]


@pytest.mark.parametrize("raw", [
    pickle.dumps(("done",)),                                   # a pickle, however harmless
    b"not json",
    b'{"kind": "done"}',                                       # not a list
    b'["result", "q_sample"]',                                 # no result
    b'["result", "no_such_task", {}]',
    b'["done", "extra"]',
    b'["hello"]',
], ids=["pickle", "not-json", "dict", "short", "unknown-task", "long-done", "unknown-kind"])
def test_anything_else_reads_as_none(pipe, raw):
    """Does every byte string outside the protocol read as None?"""
    receive, send = pipe
    send.send_bytes(raw)
    assert messages.read(receive) is None


@pytest.mark.parametrize("changes", [
    {"passed": "yes"}, {"passed": True, "status": "wrong"}, {"task": "eps_loss"}, {"diagnosis": "made_up"},
    {"message": ""}, {"max_abs_error": "0"}, {"surprise": 1}, {"notes": [1]},
], ids=["passed-str", "passed-but-wrong", "other-task", "unknown-diagnosis", "empty-message", "error-str",
        "extra-field", "notes-int"])
def test_malformed_results_read_as_none(pipe, changes):
    """Is a result whose fields or types are not CheckResult's refused?"""
    receive, send = pipe
    messages.send(send, "result", "q_sample", result(**changes))
    assert messages.read(receive) is None


def test_oversized_message_reads_as_none(pipe):
    """Is a message longer than MAX_BYTES refused rather than read into memory?"""
    receive, send = pipe

    def write():  # blocks once the pipe is full, until the reader closes it
        with contextlib.suppress(OSError):
            send.send_bytes(b"[" + b" " * messages.MAX_BYTES + b"]")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert messages.read(receive) is None
    receive.close()  # the writer's next write fails, and it ends
    writer.join(10)
