"""Does a guarded call contain what a student's function can do to the grading kernel?"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch

import reference
from graders import sandbox
from graders.sandbox import call_student, static_touches

ROOT = Path(__file__).resolve().parents[1]


def test_endless_loop_times_out():
    """Is an endless loop stopped at the time limit and reported as a timeout?"""
    def spin():
        while True:
            pass

    start = time.perf_counter()
    call = call_student(spin, time_limit=0.3)
    assert call.kind == "timeout"
    assert time.perf_counter() - start < 2


@pytest.mark.skipif(sandbox.virtual_memory_bytes() is None, reason="needs /proc (Linux)")
def test_huge_allocation_fails_fast_and_the_cap_is_lifted():
    """Does a 10 GB allocation fail at once as `memory`, leaving the process's own limit as it was?"""
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    start = time.perf_counter()
    call = call_student(lambda: torch.ones(10 * 2**30 // 4), memory_bytes=2**30)
    assert call.kind == "memory", call.error
    assert time.perf_counter() - start < 2
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert torch.ones(2**27).sum() == 2**27  # 512 MB still fine afterwards


def test_output_and_warnings_are_captured(capfd):
    """Do prints, stderr writes (Python and file descriptor 2) and warnings stay out of the real streams?"""
    def noisy():
        print("to stdout")
        print("to stderr", file=sys.stderr)
        os.write(2, b"raw fd 2\n")
        warnings.warn("careful")
        return 7

    call = call_student(noisy)
    out, err = capfd.readouterr()
    assert call.kind == "ok" and call.value == 7
    assert out == "" and err == ""
    assert "to stdout" in call.stdout and "to stderr" in call.stderr and "raw fd 2" in call.stderr
    assert call.warnings == ["UserWarning: careful"]


@pytest.mark.parametrize("how", ["sys.exit", "os._exit", "exit"])
def test_exits_become_results(how):
    """Do sys.exit(), os._exit() and exit() end only the call, not the process?"""
    namespace = {"sys": sys, "os": os, "exit": lambda *a: (_ for _ in ()).throw(AssertionError("not patched"))}
    exec(f"def leave():\n    {how}(3)\n", namespace)
    os_exit_before, exit_before = os._exit, namespace["exit"]
    call = call_student(namespace["leave"])
    assert call.kind == "exit"
    assert os._exit is os_exit_before and namespace["exit"] is exit_before  # both restored afterwards


def test_errors_are_results():
    """Is an exception inside the student's code returned as an `error` outcome with the exception?"""
    call = call_student(lambda: 1 / 0)
    assert call.kind == "error" and isinstance(call.error, ZeroDivisionError)


def test_calls_into_reference_are_recorded():
    """Is a call into the reference recorded, however the function got hold of it?"""
    def sneaky(x):
        lab = __import__("importlib").import_module("refer" + "ence")
        return lab.extract(torch.ones(3, dtype=torch.float64), torch.tensor([0, 1]), x)

    call = call_student(sneaky, torch.zeros(2, 2))
    assert call.kind == "ok"
    assert any("reference.timesteps.extract" in t for t in call.touched)


def test_reading_grader_files_is_recorded():
    """Is opening a file inside graders/ recorded?"""
    def peek():
        with open(ROOT / "graders" / "checks.py") as f:
            return len(f.read())

    assert any("graders" in t for t in call_student(peek).touched)


def test_grader_supplied_code_is_allowed():
    """Is reference code reached through an allowed object (the spy model) not counted against the student?"""
    model = reference.GaussianOptimalEps(0.0, 1.0, reference.Schedule.from_name("cosine", 10))

    class Spy:
        def __call__(self, x, t):
            return model(x, t)

    def student(m):
        return m(torch.zeros(2, 2), torch.tensor([0, 1]))

    assert call_student(student, Spy(), allowed=(Spy.__call__.__code__,)).touched == []
    assert call_student(student, Spy()).touched  # and the same call without the allowance is caught


def test_static_scan_finds_imports_and_names():
    """Does the static scan see an import inside the function and a global bound to the reference?"""
    namespace = {"extract": reference.extract}
    exec("def a():\n    import graders.checks\n\ndef b(x):\n    return extract(x)\n\ndef c(x):\n    return x\n",
         namespace)
    assert static_touches(namespace["a"]) == ["import graders.checks"]
    assert static_touches(namespace["b"]) == ["extract (from reference.timesteps)"]
    assert static_touches(namespace["c"]) == []


def test_protect_kernel_in_a_fresh_process():
    """Does protect_kernel cap memory and turn os._exit into SystemExit, in the main thread only?"""
    code = (
        "import os, resource, torch\n"
        "from graders.sandbox import protect_kernel\n"
        "print(protect_kernel(1.0))\n"
        "try:\n    torch.ones(10 * 2**30 // 4)\nexcept RuntimeError:\n    print('alloc refused')\n"
        "try:\n    os._exit(5)\nexcept SystemExit:\n    print('exit refused')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    if sandbox.virtual_memory_bytes() is not None:
        assert "memory cap:" in proc.stdout and "alloc refused" in proc.stdout
    assert "exit refused" in proc.stdout
