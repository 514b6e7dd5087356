"""Does the confined worker (graders/sandbox/runner.py + graders/sandbox/confine.py) hold against hostile solutions?

Each test grades a small synthetic notebook with runner.grade_cells, the way graders/nbgrader/grade.py and the TA tool
grade real ones: the student's code runs as a user of its own inside bubblewrap, and only plain data comes back.
Every hostile solution must earn nothing it should not; the honest function beside it in the same notebook must
still pass; and nothing may leak out: no course file read, no file written, no connection made, no process left.

The probes report what they found through the grader's own feedback (an exception's message becomes the check's
message), so these tests read the sandbox's view of the world from the results, as a student would.

Slow-ish (each grade_cells starts one or more sandboxed Pythons, ~1.5 s each): the notebooks bundle several hostile
functions, and use the small "sanity" cases.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sysconfig
import threading
import time
from pathlib import Path

import pytest
import torch

from graders.engine import judging as engine
from graders.sandbox import confine, runner
from graders.sandbox.confine import BASE_UID, ROOT
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

pytestmark = pytest.mark.skipif(confine.isolation_problem() is not None,
                                reason=f"bubblewrap cannot confine here: {confine.isolation_problem()}")

own_user = pytest.mark.skipif(os.geteuid() != 0, reason="an unprivileged grader gives the sandbox no user of its "
                              "own: RLIMIT_NPROC is not set, and its processes count as this user's")

TASKS = tasks_of("ddpm_core")
UID = BASE_UID + 2 * USERS_PER_POOL  # sandbox users 64200…: outside the pools a grading run beside these tests leases

HONEST = {
    "q_sample": '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
''',
    "eps_loss": '''
def eps_loss(model, x0, t, noise, alpha_bar):
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ((noise - model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t)) ** 2).mean()
''',
}


def _fill(template: str, **values: str) -> str:
    """The notebook source `template` with each @NAME@ replaced by values[NAME] (Python source text)."""
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    assert not re.search(r"@[A-Z]+@", template), "a placeholder left unfilled"
    return template


def _cells(*sources: str) -> list[dict]:
    setup = {"label": "cell 0 (setup)", "source": "import torch\nimport numpy as np\n", "solution": False}
    return [setup] + [{"label": f"cell {i + 1}", "source": s, "solution": True} for i, s in enumerate(sources)]


def _plans(*names: str) -> list[engine.Plan]:
    return [engine.plan(TASKS[name.split(":")[0]], name.split(":")[1] if ":" in name else "sanity")
            for name in names]


def _grade(cells, plans, uid, **kw) -> runner.Graded:
    assert _sandbox_processes(uid) == [], "a sandbox user of these tests is busy: another run of them?"
    graded = runner.grade_cells(cells, plans, uid=uid, **kw)
    assert graded.not_isolated is None
    return graded


def _result(graded: runner.Graded, task: str, level: str = "sanity"):
    return graded.results[(task, level)]


def _passes(graded: runner.Graded, task: str, level: str = "sanity") -> None:
    result = _result(graded, task, level)
    assert result.passed and result.points_lost == 0, result.message


def _sandbox_processes(uid: int) -> list[int]:
    """Pids of every process running as the sandbox user `uid` (real uid, from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # ended meanwhile
        line = next(ln for ln in status.splitlines() if ln.startswith("Uid:"))
        if int(line.split()[1]) == uid:
            pids.append(int(entry.name))
    return pids


def _no_process_left(uid: int, within_s: float = 3.0) -> None:
    deadline = time.monotonic() + within_s
    while _sandbox_processes(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sandbox_processes(uid) == [], f"processes of sandbox user {uid} outlived grading"


def test_honest_notebook_passes():
    """Does an honest q_sample pass confined, with no notes, in one worker process?"""
    graded = _grade(_cells(HONEST["q_sample"]), _plans("q_sample", "q_sample:full"), UID)
    _passes(graded, "q_sample")
    _passes(graded, "q_sample", "full")
    assert graded.processes == 1 and graded.notes == []
    _no_process_left(UID)


# ---- (b, c, g, h, i) what the sandbox lets a solution see and touch -----------------------------------------------

@pytest.fixture(scope="module")
def listener():
    """A TCP server on 127.0.0.1 that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except (socket.timeout, OSError):
                continue
            accepted.append(address)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


SNOOP = '''
import os, sys, time, importlib, resource, site, socket, posix

ROOT, OUT, PORT = @ROOT@, @OUT@, @PORT@


def _try(action):
    try:
        action()
        return "DONE"
    except BaseException as e:
        return type(e).__name__


def _write(path):
    with open(path, "w") as f:
        f.write("escaped")


def posterior_mean(x0, x_t, t, betas):
    """Reads the course: the reference, the grader, nbgrader's config; lists the repository; imports the lab."""
    found = [name + "=" + _try(lambda: open(os.path.join(ROOT, path)).read())
             for name, path in (("ref", "reference/diffusion/q.py"), ("eng", "graders/engine/judging.py"),
                                ("cfg", "assignments/nbgrader_config.py"))]
    found.append("ls=" + ",".join(sorted(os.listdir(ROOT))))
    found += [name + "=" + _try(lambda: importlib.import_module(module))
              for name, module in (("imp_ref", "ref" + "erence"), ("imp_eng", "grad" + "ers.engine.judging"))]
    found.append("secret=" + str("DDPM_TEST_SECRET" in os.environ))
    found.append("pids=" + ",".join(sorted(p for p in os.listdir("/proc") if p.isdigit())))
    raise RuntimeError(" ".join(found))


def eps_loss(model, x0, t, noise, alpha_bar):
    """Writes outside, raises its own limits, connects to the grader's machine."""
    worker_py = [os.path.join(d, f) for d, _, fs in os.walk(os.environ["PYTHONPATH"]) for f in fs
                 if f == "worker.py"][0]
    found = ["out=" + _try(lambda: _write(os.path.join(OUT, "marker"))),
             "mkdir_out=" + _try(lambda: (os.makedirs(OUT, exist_ok=True), _write(os.path.join(OUT, "marker2")))),
             "root=" + _try(lambda: _write(os.path.join(ROOT, "marker"))),
             "venv=" + _try(lambda: _write(os.path.join(site.getsitepackages()[0], "zz_marker.pth"))),
             "kit=" + _try(lambda: open(worker_py, "a").write("# tampered")),
             "as=" + _try(lambda: resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)),
             "nproc=" + _try(lambda: resource.setrlimit(resource.RLIMIT_NPROC, (10**6, 10**6))),
             "net=" + _try(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3).close())]
    raise RuntimeError(" ".join(found))


def sample_loop(model, x_T, betas, noises):
    """Leaves a detached grandchild (double fork, setsid) that keeps trying to write outside."""
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            for _ in range(600):
                for target in (os.path.join(OUT, "marker_h"), os.path.join(ROOT, "marker_h"), "/tmp/alive"):
                    _try(lambda: _write(target))
                time.sleep(0.05)
        posix._exit(0)
    os.waitpid(child, 0)
    for _ in range(100):
        if os.path.exists("/tmp/alive"):
            raise RuntimeError("grandchild alive")
        time.sleep(0.02)
    raise RuntimeError("grandchild silent")
'''


def _found(message: str) -> dict[str, str]:
    """The `name=value` pairs a probe raised, from the check's message."""
    line = next(ln for ln in message.splitlines() if "raised RuntimeError: " in ln)
    text = line.split("raised RuntimeError: ", 1)[1].split(" (line ", 1)[0]
    return dict(pair.split("=", 1) for pair in text.split())


@pytest.fixture(scope="module")
def snooped(tmp_path_factory, listener):
    """One confined run of the snooping notebook: (graded, the outside folder it aimed at, the connections the
    listener accepted); the worker kit's files are checked unchanged."""
    port, accepted = listener
    out = tmp_path_factory.mktemp("outside")
    kit_worker = runner.worker_kit() / "graders" / "sandbox" / "worker.py"
    before = hashlib.sha256(kit_worker.read_bytes()).hexdigest()
    os.environ["DDPM_TEST_SECRET"] = "the grader's environment"
    try:
        snoop = _fill(SNOOP, ROOT=repr(str(ROOT)), OUT=repr(str(out)), PORT=str(port))
        graded = _grade(_cells(HONEST["q_sample"], snoop),
                        _plans("q_sample", "posterior_mean", "eps_loss", "sample_loop"), UID + 1)
    finally:
        del os.environ["DDPM_TEST_SECRET"]
    assert hashlib.sha256(kit_worker.read_bytes()).hexdigest() == before, "the worker kit was changed"
    return graded, out, accepted


def test_course_files_are_not_there(snooped):
    """(b) Do the reference, the grader and nbgrader's config not exist in the sandbox, the repository show nothing
    but the (read-only) Python environment, `import reference` and `import graders.engine.judging` fail, the grader's
    environment stay out, and no process outside the sandbox show in /proc?"""
    graded, _, _ = snooped
    _passes(graded, "q_sample")
    result = _result(graded, "posterior_mean")
    assert result.status == "error", result.message
    found = _found(result.message)
    assert {found[k] for k in ("ref", "eng", "cfg")} <= {"FileNotFoundError", "PermissionError"}, found
    assert set(found["ls"].split(",")) <= {"", ".venv"}, found["ls"]
    # reference is the worker kit's blocker (an ImportError saying why); graders.engine.judging is simply absent
    assert (found["imp_ref"], found["imp_eng"]) == ("ImportError", "ModuleNotFoundError"), found
    assert found["secret"] == "False"
    assert len(found["pids"].split(",")) <= 4, found["pids"]  # bubblewrap's init, the worker, its child


def test_nothing_is_written_outside(snooped):
    """(c) Does every write outside the sandbox's own /tmp fail (or land in that /tmp), leaving no file behind:
    the test's folder, the repository, the Python environment, the worker's own files?"""
    graded, out, _ = snooped
    found = _found(_result(graded, "eps_loss").message)
    assert found["out"] == "FileNotFoundError"  # the grader's /tmp is not the sandbox's
    assert found["mkdir_out"] == "DONE"  # made again inside, it lands in the sandbox's own /tmp
    assert found["root"] in ("PermissionError", "OSError"), found
    assert found["venv"] in ("PermissionError", "OSError"), found  # a .pth there would run in the grader
    assert found["kit"] in ("PermissionError", "OSError"), found
    assert list(out.iterdir()) == [] and not (ROOT / "marker").exists() and not (ROOT / "marker_h").exists()
    assert not (Path(sysconfig.get_paths()["purelib"]) / "zz_marker.pth").exists()


def test_limits_cannot_be_raised(snooped):
    """(g) Does raising its own address-space or process limit fail inside the sandbox?"""
    graded, _, _ = snooped
    found = _found(_result(graded, "eps_loss").message)
    assert found["as"] == "ValueError", found
    if os.geteuid() == 0:  # RLIMIT_NPROC is set only where the sandbox has a user of its own
        assert found["nproc"] == "ValueError", found


def test_no_network(snooped):
    """(i) Does a connection to a server listening on the grader's 127.0.0.1 fail, none accepted?"""
    graded, _, accepted = snooped
    found = _found(_result(graded, "eps_loss").message)
    assert found["net"] in ("ConnectionRefusedError", "OSError", "TimeoutError"), found
    time.sleep(0.2)
    assert accepted == []


def test_detached_child_dies_with_the_sandbox(snooped):
    """(h) Does a detached grandchild (double fork, setsid) die when grading ends, writing nothing outside?"""
    graded, out, _ = snooped
    assert "grandchild alive" in _result(graded, "sample_loop").message  # it did run, inside
    time.sleep(1.0)  # it would have written by now
    assert list(out.iterdir()) == [] and not (ROOT / "marker_h").exists()
    _no_process_left(UID + 1)


# ---- (j, k, l) lying to the grader ---------------------------------------------------------------------------------

LIES = '''
import builtins, gc, inspect, json, math, os, sys
import torch


class Liar(torch.Tensor):
    """(j) A tensor that says it is whatever it is compared with."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal", "isclose", "eq", "__eq__"):
            return True
        if name in ("sub", "__sub__", "__rsub__", "abs", "sub_", "max", "amax"):
            return torch.zeros(())
        return super().__torch_function__(func, types, args, kwargs or {})


def sample_loop(model, x_T, betas, noises):
    """(j) Patches what an in-process grader would compare with to say "equal", and returns a Liar of zeros."""
    real_float = builtins.float
    builtins.float = lambda *args: 0.0
    torch.Tensor.__sub__ = lambda self, other: torch.zeros_like(self)
    torch.Tensor.__eq__ = lambda self, other: True
    torch.allclose = torch.equal = lambda *args, **kwargs: True
    torch.testing.assert_close = lambda *args, **kwargs: None
    math.isclose = lambda *args, **kwargs: True
    liar = torch.zeros_like(x_T).as_subclass(Liar)
    builtins.float = real_float  # the worker itself needs it to read the next case; the rest stay patched
    return liar


def posterior_mean(x0, x_t, t, betas):
    """(k) Returns any other float tensor of the right shape it can find: the garbage collector, every frame."""
    mine = {id(x0), id(x_t), id(t), id(betas)}
    candidates = [o for o in gc.get_objects() if isinstance(o, torch.Tensor)]
    for frame in inspect.stack():
        candidates += [v for v in frame.frame.f_locals.values() if isinstance(v, torch.Tensor)]
    for c in candidates:
        if id(c) not in mine and c.shape == x0.shape and c.is_floating_point() and not torch.Tensor.equal(c, x0):
            return c
    return torch.zeros_like(x0)


def eps_loss(model, x0, t, noise, alpha_bar):
    """(l) Writes a whole unit's replies straight to the protocol pipe: a plausible loss for every case."""
    frame = sys._getframe()
    while frame and "index" not in frame.f_locals:
        frame = frame.f_back
    index, unit = frame.f_locals["index"], frame.f_locals["unit"]
    lines = [json.dumps(["reply", index, {"kind": "ok", "output": {"number": @FORGED@}, "changed": [],
                                          "model_calls": None, "printed": 0, "warned": None}])
             for _ in unit["calls"]] + [json.dumps(["unit_done", index])]
    payload = ("\\n".join(lines) + "\\n").encode()
    sys.__stdout__.write(payload.decode())  # fd 1: /dev/null by now
    os.write(1, payload)
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(fd, payload)
    return torch.tensor(7.0)
'''


@pytest.fixture(scope="module")
def lied():
    # the forger goes last: the worker's own replies, arriving after its forged unit_done, are out of order
    graded = _grade(_cells(HONEST["q_sample"], _fill(LIES, FORGED="0.3")),
                    _plans("q_sample", "posterior_mean", "sample_loop", "q_sample:full", "eps_loss"), UID + 2)
    _no_process_left(UID + 2)
    return graded


def test_patched_comparisons_and_a_lying_tensor_do_not_pass(lied):
    """(j) With float, Tensor.__sub__/__eq__, allclose, equal and isclose patched in the worker, does a lying
    tensor subclass holding zeros fail as `wrong` (the grader compares in its own process), while the honest
    q_sample beside it passes, before and after the patches?"""
    _passes(lied, "q_sample")
    result = _result(lied, "sample_loop")
    assert not result.passed and result.status == "wrong", result.message
    assert result.max_abs_error > 0.1
    _passes(lied, "q_sample", "full")
    assert lied.processes == 1


def test_nothing_to_find_in_the_workers_memory(lied):
    """(k) Does a posterior_mean returning whatever tensor of the right shape it finds in the worker's memory
    (garbage collector, stack frames) fail: the expected answer is never in the worker?"""
    result = _result(lied, "posterior_mean")
    assert not result.passed and result.status == "wrong", result.message


def test_forged_replies_are_judged_by_their_numbers(lied):
    """(l) Are replies written straight to the protocol pipe judged like any other, on their numbers: a forged
    plausible loss of 0.3 for every case fails as `wrong`?"""
    result = _result(lied, "eps_loss")
    assert not result.passed and result.status == "wrong", result.message
    plan = engine.plan(TASKS["eps_loss"], "sanity")
    truths = [float(plan.spec.truth(c, i)) for c, i in zip(plan.cases, plan.inputs)]
    # the forged 0.3 reached the judge (it, not the returned 7.0, was measured) and still did not pass
    assert result.max_abs_error == pytest.approx(max(abs(0.3 - t) for t in truths), rel=1e-9)


def test_forged_replies_with_the_right_numbers_pass():
    """(l) The converse, so the forging test is not vacuous: do forged replies holding the right loss pass (as a
    Python number, one point off)? Forging can win nothing that computing the answer would not."""
    plan = engine.plan(TASKS["eps_loss"], "sanity")
    truths = [float(plan.spec.truth(c, i)) for c, i in zip(plan.cases, plan.inputs)]
    graded = _grade(_cells(_fill(_RIGHT_FORGER, TRUTHS=repr(truths))), _plans("eps_loss"), UID + 2)
    result = _result(graded, "eps_loss")
    assert result.passed and result.points_lost == engine.SLIP_COST, result.message


_RIGHT_FORGER = '''
import json, os, sys
import torch


def eps_loss(model, x0, t, noise, alpha_bar):
    frame = sys._getframe()
    while frame and "index" not in frame.f_locals:
        frame = frame.f_back
    index = frame.f_locals["index"]
    lines = [json.dumps(["reply", index, {"kind": "ok", "output": {"number": v}}]) for v in @TRUTHS@]
    payload = ("\\n".join(lines + [json.dumps(["unit_done", index])]) + "\\n").encode()
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(fd, payload)
    return torch.tensor(7.0)
'''


GARBAGE = '''
import os
import torch


def _to_the_grader(payload):
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd > 2 and os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(fd, payload)


def posterior_mean(x0, x_t, t, betas):
    _to_the_grader(b"[" * 100_000 + b"]" * 100_000 + b"\\n")  # past the JSON parser's depth limit
    return x0


def eps_loss(model, x0, t, noise, alpha_bar):
    _to_the_grader(b"x" * (2 * 2**20))  # a line longer than the grader reads (1 MiB here), never ended
    return x0.sum()
'''


def test_protocol_garbage_costs_only_its_own_task(monkeypatch):
    """(l) Does a line nested past the JSON parser's depth limit, or a line longer than the grader reads, stop
    only the worker that sent it (status error): the grader does not crash, and the honest q_sample after each
    passes in a fresh worker?"""
    monkeypatch.setattr(runner, "MAX_LINE_BYTES", 2**20)  # 32 MiB would only make the test slower
    graded = _grade(_cells(HONEST["q_sample"], GARBAGE),
                    _plans("posterior_mean", "q_sample", "eps_loss", "q_sample:full"), UID + 5)
    nested, endless = _result(graded, "posterior_mean"), _result(graded, "eps_loss")
    assert nested.status == "error" and "out of protocol" in nested.message, nested.message
    assert endless.status == "error" and "more than a check may send" in endless.message, endless.message
    _passes(graded, "q_sample")
    _passes(graded, "q_sample", "full")
    assert graded.processes == 3  # a fresh worker after each
    _no_process_left(UID + 5)


# ---- (e, f) ending the worker, or stalling it ---------------------------------------------------------------------

KILLS = '''
import os, posix, signal


def posterior_mean(x0, x_t, t, betas):
    posix._exit(3)


def eps_loss(model, x0, t, noise, alpha_bar):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        pass


def sample_loop(model, x_T, betas, noises):
    os._exit(3)
'''


def test_exits_and_stalls_cost_only_their_own_task():
    """(e, f) Does posix._exit end the process (exit), a loop deaf to SIGALRM time out within check_timeout_s, and
    os._exit come back as exit, each costing only its task: the honest q_sample after each still passes, in a
    fresh worker where needed?"""
    check_timeout_s = 8
    start = time.monotonic()
    graded = _grade(_cells(HONEST["q_sample"], KILLS),
                    _plans("posterior_mean", "q_sample", "eps_loss", "q_sample:full", "sample_loop"), UID + 3,
                    check_timeout_s=check_timeout_s)
    elapsed = time.monotonic() - start

    exited = _result(graded, "posterior_mean")
    assert exited.status == "exit" and "exit code 3" in exited.message, exited.message
    _passes(graded, "q_sample")
    stalled = _result(graded, "eps_loss")
    assert stalled.status == "timeout" and f"no result within {check_timeout_s} s" in stalled.message
    assert check_timeout_s <= stalled.runtime_s < check_timeout_s + 3
    _passes(graded, "q_sample", "full")
    left = _result(graded, "sample_loop")
    assert left.status == "exit" and "os._exit" in left.message, left.message
    assert graded.processes == 3  # one restart after the dead worker, one after the stalled one
    assert elapsed < check_timeout_s + 3 * 10
    _no_process_left(UID + 3)


# ---- (d) process and memory limits -------------------------------------------------------------------------------

BOMB = '''
import os, threading, time
import torch

forks, threads, errors = 0, 0, []
try:
    while forks < 500:  # the limit (64) stops it long before
        if os.fork() == 0:
            while True:
                time.sleep(1)
        forks += 1
except OSError as e:
    errors.append(type(e).__name__)
try:
    while threads < 500:
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        threads += 1
except RuntimeError as e:
    errors.append(type(e).__name__ + ":" + str(e).replace(" ", "_"))


def posterior_mean(x0, x_t, t, betas):
    raise RuntimeError(f"forks={forks} threads={threads} errors={','.join(errors)}")


def sample_loop(model, x_T, betas, noises):
    waste = torch.ones(10 * 2**30 // 4)  # 10 GiB
    return waste.sum() * 0 + x_T
'''


@own_user
def test_fork_and_thread_bombs_are_contained():
    """(d) Does a fork bomb then a thread bomb at the top of a cell stop at RLIMIT_NPROC, a 10 GiB allocation fail
    as `memory`, and grading still complete with the honest tasks passing; and does the next submission on the
    same sandbox user start cleanly, with no process left after?"""
    limits = confine.Limits()
    graded = _grade(_cells(HONEST["q_sample"], HONEST["eps_loss"], BOMB),
                    _plans("q_sample", "posterior_mean", "eps_loss", "sample_loop"), UID + 4)
    _passes(graded, "q_sample")
    _passes(graded, "eps_loss")
    found = _found(_result(graded, "posterior_mean").message)
    assert int(found["forks"]) + int(found["threads"]) < limits.processes, found
    assert found["errors"].startswith("BlockingIOError,RuntimeError:can't_start_new_thread"), found
    memory = _result(graded, "sample_loop")
    assert memory.status == "memory", memory.message
    assert graded.processes == 1

    _no_process_left(UID + 4)  # the sandbox outlives grade_cells by a moment (~0.2 s): its init dies after bwrap
    graded = _grade(_cells(HONEST["q_sample"]), _plans("q_sample"), UID + 4)  # the next submission, same user
    _passes(graded, "q_sample")
    _no_process_left(UID + 4)


def test_grading_leaves_the_graders_process_alone():
    """Is this process's own state untouched by the hostile runs: torch's arithmetic still honest?"""
    x = torch.tensor([3.0])
    assert float((x - 1)[0]) == 2.0 and not torch.equal(x, x + 1)
