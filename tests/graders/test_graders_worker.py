"""Does the worker (graders/sandbox/worker.py) turn whatever a student's function does into plain outcomes, and read back
only well-formed tensors?

The worker runs inside the confinement at grading time and in the student's own kernel for the sanity cells; these
tests call it in this process. The confinement itself is tested in tests/graders/test_graders_confinement.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import reference
from graders.engine import wire
from graders.sandbox import worker
from graders.engine.wire import decode_tensor, encode_tensor, encode_value
from graders.sandbox.worker import call, guarded, load, static_touches

ROOT = Path(__file__).resolve().parents[2]


def _student(source: str, name: str, **names):
    """`name` from `source` loaded as a notebook cell by the worker, with `names` as globals beside it."""
    namespace, notes = load([{"label": "cell 3", "source": source, "solution": True}])
    assert notes == []
    namespace.update(names)
    return namespace[name]


# ---- guarded: every way out of a call is an outcome -------------------------------------------------------------

def test_endless_loop_times_out():
    """Is an endless loop stopped at the time limit and reported as a timeout, quickly?"""
    def spin():
        while True:
            pass

    start = time.perf_counter()
    outcome = guarded(spin, (), time_limit=0.3)
    assert outcome["kind"] == "timeout" and outcome["value"] is None
    assert time.perf_counter() - start < 2


def test_except_exception_cannot_eat_the_timeout():
    """Does a loop that catches every Exception still end at the time limit (the timeout is a BaseException)?"""
    def stubborn():
        while True:
            try:
                while True:
                    pass
            except Exception:  # noqa: BLE001 - the student's, on purpose
                pass

    assert guarded(stubborn, (), time_limit=0.3)["kind"] == "timeout"


@pytest.mark.parametrize("how", ["sys.exit", "os._exit", "exit", "quit"])
def test_exits_become_outcomes(how):
    """Do sys.exit(), os._exit(), exit() and quit() end only the call, as `exit`, with everything restored after?"""
    def not_patched(*args):
        raise AssertionError("not patched")

    leave = _student(f"def leave():\n    {how}(3)\n", "leave", sys=sys, os=os, exit=not_patched, quit=not_patched)
    os_exit_before = os._exit
    outcome = guarded(leave, (), time_limit=5)
    assert outcome["kind"] == "exit", outcome
    assert os._exit is os_exit_before
    assert leave.__globals__["exit"] is not_patched and leave.__globals__["quit"] is not_patched


def test_memory_errors_become_memory():
    """Are a MemoryError and torch's "can't allocate memory" reported as `memory`, not as an ordinary error?"""
    def memory_error():
        raise MemoryError()

    def torch_refusal():
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you "
                           "tried to allocate 10737418240 bytes.")

    assert guarded(memory_error, (), 5)["kind"] == "memory"
    assert guarded(torch_refusal, (), 5)["kind"] == "memory"


def test_exception_becomes_error_with_the_students_line():
    """Is an exception returned as `error` with its type, first line and the student's own line, all plain text?"""
    divide = _student("def divide(x):\n    y = x + 1\n    return y / 0\n", "divide")
    outcome = guarded(divide, (1,), 5)
    assert outcome["kind"] == "error" and outcome["value"] is None
    assert outcome["error"] == {"type": "ZeroDivisionError", "message": "division by zero",
                                "where": " (line 3 in divide: return y / 0)"}
    json.dumps(outcome)  # plain data


def test_prints_and_warnings_are_counted_not_leaked(capfd):
    """Do prints, stderr writes and warnings stay out of the real streams, counted and the first one kept?"""
    def noisy():
        print("to stdout")
        print("two\nlines")
        print("to stderr", file=sys.stderr)
        warnings.warn("careful")
        return 7

    outcome = guarded(noisy, (), 5)
    out, err = capfd.readouterr()
    assert outcome["kind"] == "ok" and outcome["value"] == 7
    assert out == "" and err == ""
    assert outcome["printed"] == 3
    assert outcome["warned"] == "UserWarning: careful"


def test_stderr_alone_is_reported_as_warned(capfd):
    """Is a line written to stderr (no warning) kept as the note, so the student hears about it?"""
    outcome = guarded(lambda: print("stray", file=sys.stderr), (), 5)
    assert outcome["warned"] == "stray" and outcome["printed"] == 0
    assert capfd.readouterr() == ("", "")


def test_a_thread_exits_for_real_only_off_the_main_thread():
    """Is os._exit patched only while a call runs, so the worker's own final os._exit still ends the process?"""
    before = os._exit
    guarded(lambda: None, (), 5)
    assert os._exit is before is worker._REAL_OS_EXIT


# ---- the integrity rule -----------------------------------------------------------------------------------------

def test_static_scan_finds_imports_names_and_paths():
    """Does the static scan see an import, a global bound to the reference, and string constants naming the lab's
    code, while an ordinary function (or a sentence that mentions 'reference') is clean?"""
    namespace = {"extract": reference.extract, "torch": torch}
    source = (
        "def a():\n    import graders.engine.judging\n\n"
        "def b(x):\n    return extract(x)\n\n"
        "def c(x):\n    return torch.zeros_like(x)\n\n"
        "def d():\n    return __import__('importlib').import_module('refer' + 'ence')\n\n"
        "def e():\n    return open('/work/graders/engine/judging.py').read()\n\n"
        "def f():\n    return 'see the reference implementation'\n\n"
        "def g():\n    def inner():\n        import reference.diffusion\n    return inner\n"
    )
    exec(source, namespace)
    assert static_touches(namespace["a"]) == ["import graders.engine.judging"]
    assert static_touches(namespace["b"]) == ["extract (from reference.diffusion.timesteps)"]
    assert static_touches(namespace["c"]) == []
    assert static_touches(namespace["d"]) == ["'reference'"]  # the compiler folds 'refer' + 'ence'
    assert static_touches(namespace["e"]) == ["'/work/graders/engine/judging.py'"]
    assert static_touches(namespace["f"]) == []
    assert static_touches(namespace["g"]) == ["import reference.diffusion"]
    assert static_touches(len) == [] and static_touches(object()) == []


# ---- plain data <-> tensors -------------------------------------------------------------------------------------

GOOD = {"dtype": "float32", "shape": [2], "device": "cpu", "data": [1.0, 2.0]}


@pytest.mark.parametrize("bad", [
    pytest.param([1.0, 2.0], id="not-a-dict"),
    pytest.param({**GOOD, "extra": 1}, id="extra-key"),
    pytest.param({k: v for k, v in GOOD.items() if k != "device"}, id="missing-key"),
    pytest.param({**GOOD, "data": [1.0]}, id="data-shorter-than-shape"),
    pytest.param({**GOOD, "data": [1.0, 2.0, 3.0]}, id="data-longer-than-shape"),
    pytest.param({**GOOD, "data": [True, False]}, id="bools-as-floats"),
    pytest.param({**GOOD, "data": ["1.0", "2.0"]}, id="strings-as-floats"),
    pytest.param({**GOOD, "data": [[1.0], [2.0]]}, id="nested-data"),
    pytest.param({**GOOD, "data": [1.0, None]}, id="none-in-data"),
    pytest.param({**GOOD, "data": [1.0, 10**400]}, id="int-beyond-float64"),
    pytest.param({**GOOD, "dtype": "int64", "data": [1, 2.5]}, id="float-in-int-data"),
    pytest.param({**GOOD, "dtype": "int64", "data": [1, True]}, id="bool-in-int-data"),
    pytest.param({**GOOD, "dtype": "int64", "data": [1, 2**70]}, id="int-beyond-int64"),
    pytest.param({**GOOD, "dtype": "float128"}, id="unknown-dtype"),
    pytest.param({**GOOD, "dtype": 32}, id="dtype-not-text"),
    pytest.param({**GOOD, "dtype": "f" * 100}, id="dtype-too-long"),
    pytest.param({**GOOD, "device": ["cpu"]}, id="device-not-text"),
    pytest.param({**GOOD, "shape": "2"}, id="shape-not-a-list"),
    pytest.param({**GOOD, "shape": [2.0]}, id="float-in-shape"),
    pytest.param({**GOOD, "shape": [True, True], "data": [1.0]}, id="bools-in-shape"),
    pytest.param({**GOOD, "shape": [-1], "data": []}, id="negative-shape"),
    pytest.param({**GOOD, "shape": [1] * 9, "data": [1.0]}, id="too-many-dims"),
    pytest.param({**GOOD, "shape": [2_000_000], "data": [0.0] * 10}, id="huge-dim"),
    pytest.param({**GOOD, "shape": [1000, 1000, 1000], "data": [0.0] * 10}, id="huge-product"),
])
def test_decode_rejects_malformed_tensors(bad):
    """Is anything that is not exactly an encoded tensor refused with a ValueError, never another exception?"""
    with pytest.raises(ValueError):
        decode_tensor(bad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64])
def test_encode_decode_round_trip_is_exact(dtype):
    """Does a tensor survive encode -> JSON -> decode bit for bit, extremes included, in float32, float64, int64?"""
    g = torch.Generator().manual_seed(0)
    if dtype.is_floating_point:
        info = torch.finfo(dtype)
        special = torch.tensor([0.0, -0.0, info.tiny, info.max, info.min, info.eps, info.smallest_normal / 8],
                               dtype=dtype)
        x = torch.cat([torch.randn(50, generator=g, dtype=torch.float64).to(dtype) * 1e3, special]).reshape(3, 19)
    else:
        info = torch.iinfo(dtype)
        x = torch.cat([torch.randint(-2**40, 2**40, (55,), generator=g), torch.tensor([info.min, info.max])])
    wire = json.loads(json.dumps(encode_tensor(x)))
    assert wire["dtype"] == str(dtype).removeprefix("torch.") and wire["shape"] == list(x.shape)
    values, name, device, shape = decode_tensor(wire)
    assert device == "cpu" and shape == list(x.shape)
    back = worker.decode_arg({"tensor": wire})
    assert back.dtype == dtype and torch.equal(back, x)
    if dtype.is_floating_point:
        assert torch.equal(torch.signbit(back), torch.signbit(x))  # -0.0 stays -0.0
        assert values.dtype == torch.float64 and torch.equal(values, x.double())


def test_encode_value_names_what_came_back():
    """Are a tensor, a NumPy array, a number and anything else each described as their own kind of plain data?"""
    assert set(encode_value(torch.zeros(2))) == {"tensor"}
    assert encode_value(np.arange(3.0))["ndarray"]["data"] == [0.0, 1.0, 2.0]
    assert encode_value(np.float32(0.5)) == {"ndarray": {"dtype": "float32", "shape": [], "device": "cpu",
                                                         "data": [0.5]}}
    assert encode_value(2) == {"number": 2.0}
    assert encode_value(True) == {"other": "bool"}
    assert encode_value([1.0]) == {"other": "list"}
    meta = encode_value(torch.zeros(2, device="meta"))["tensor"]
    assert meta["device"] == "meta" and meta["data"] is None
    big = encode_tensor(torch.zeros(wire.MAX_ELEMENTS + 1))
    assert big["data"] is None and big["shape"] == [wire.MAX_ELEMENTS + 1]


# ---- a call as the grader asks for it ---------------------------------------------------------------------------

def _args(*tensors, model=None):
    wire = [{"tensor": encode_tensor(x)} for x in tensors]
    return ([{"model": model}] if model else []) + wire


def test_call_reports_changed_inputs_and_model_calls():
    """Does a call report the inputs changed in place and the t of each model call, as JSON-ready lists?"""
    def student(model, x, t):
        x.mul_(2)
        model(x, t)
        return model(x, t + 1)

    reply = call(student, _args(torch.ones(2, 2), torch.tensor([0, 3]), model={"kind": "toy", "T": 4}), 5)
    assert reply["kind"] == "ok" and reply["changed"] == [1]
    assert reply["model_calls"] == [[0, 3], [1, 4]]  # recorded as given, clamped only for use
    json.loads(json.dumps(reply))


def test_call_refuses_what_it_cannot_run():
    """Is a non-function `missing`, and a function using the lab's own code `integrity`, without running it?"""
    ran = []
    assert call(42, [], 5) == {"kind": "missing", "other": "int"}
    cheat = _student("def q(x):\n    ran.append(1)\n    import reference\n    return x\n", "q", ran=ran)
    reply = call(cheat, _args(torch.ones(1)), 5)
    assert reply == {"kind": "integrity", "touched": ["import reference"]} and ran == []


def test_code_that_does_the_task_is_integrity_even_where_it_cannot_be_imported():
    """Is a solution built on diffusers' scheduler, or on `from reference import …` loaded where reference is absent
    (the sandbox), reported as `integrity` instead of passing or failing as an ordinary error?"""
    namespace, _ = load([{"label": "cell 1 (q_sample)", "solution": True, "source":
                          "from diffusers import DDPMScheduler\nfrom reference.diffusion import diffuse as lab\n"
                          "def q_sample(x0, t, noise, alpha_bar):\n    return lab(x0, t, noise, alpha_bar)\n"
                          "def q_sample_diffusers(x0, t, noise, alpha_bar):\n"
                          "    return DDPMScheduler().add_noise(x0, noise, t)\n"}])
    for name, used in (("q_sample", "lab (from reference.diffusion.diffuse)"),
                       ("q_sample_diffusers", "DDPMScheduler (from diffusers.DDPMScheduler)")):
        reply = call(namespace[name], _args(torch.ones(1)), 5)
        assert reply == {"kind": "integrity", "touched": [used]}, reply


def test_load_skips_failing_statements_and_keeps_the_rest():
    """Does loading run each top-level statement on its own: one that raises, exits or has a syntax error is noted
    (for solution cells), and the definitions around it still load?"""
    cells = [
        {"label": "cell 1 (setup)", "source": "import torch\nraise RuntimeError('setup, not noted')\n",
         "solution": False},
        {"label": "cell 2 (q_sample)", "source": "x = 1\nraise ValueError('boom')\ny = 2\nimport sys\nsys.exit(1)\n"
                                                 "def q_sample():\n    return x + y\n", "solution": True},
        {"label": "cell 3 (broken)", "source": "def f(:\n", "solution": True},
    ]
    namespace, notes = load(cells)
    assert namespace["q_sample"]() == 3 and "torch" in namespace
    assert len(notes) == 3, notes
    assert notes[0] == "cell 2 (q_sample), line 2 skipped (error): ValueError: boom"
    assert notes[1].startswith("cell 2 (q_sample), line 5 skipped (exit)")
    assert notes[2].startswith("cell 3 (broken) was not run: SyntaxError at line 1")


def test_worker_process_keeps_its_protocol_channel_clean():
    """Run as a process (unconfined here), does the worker send only JSON lines, whatever the student's code prints
    or writes to file descriptors 1 and 2?"""
    source = ("import os, sys\nprint('top level')\nos.write(1, b'raw fd 1\\n')\nos.write(2, b'raw fd 2\\n')\n"
              "def q_sample(x):\n    print('inside')\n    os.write(1, b'[\"reply\", 0, {}]\\n')\n"
              "    sys.__stdout__.write('dunder stdout\\n')\n    sys.__stdout__.flush()\n    return x * 2\n")
    job = {"cells": [{"label": "cell 1", "source": source, "solution": True}],
           "units": [{"task": "q_sample", "level": "sanity", "function": "q_sample",
                      "calls": [_args(torch.ones(2))], "call_time_limit": 5, "unit_time_limit": 20}]}
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "graders.sandbox.worker"], input=json.dumps(job), capture_output=True,
                          text=True, env=env, cwd="/tmp", timeout=120)
    assert proc.returncode == 0 and proc.stderr == ""
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m[0] for m in messages] == ["loaded", "reply", "unit_done", "done"]
    reply = messages[1][2]
    assert reply["kind"] == "ok" and reply["output"]["tensor"]["data"] == [2.0, 2.0] and reply["printed"] == 1
