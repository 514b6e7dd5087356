"""A class of submitted notebooks for the TA comparison, in nbgrader's layout, with what each cell should grade as.

    expected = build_class(course / "submitted", report_dir)   # student -> task -> Expect

Every student starts from the source notebook with the instructor's solutions, then replaces some cells:
- correct students in other styles (tests/compare_styles.py), the instructor's own included;
- one student per planted-mistake file in tests/graders/submissions/ddpm_core/ (its header says what the check should
  find), the other tasks left correct but the earlier function a chain file's right code calls (its upstream file);
- ddpm_beyond's planted files packed into a few students of that assignment (`pack`, shared with
  tests/test_assignment_pipeline.py: one file per task each), and its instructor's solution;
- broken and hostile students of our own (below), who must cost only their own points: they write, read, fork,
  spawn, signal, forge the grader's protocol and ignore its alarm, each inside its own sandbox;
- "table" and "table-copy", a near-copy the similarity review must catch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from compare_styles import STYLES
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import tasks_of
from planted import Planted
from planted import planted as read_planted

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "ddpm_core"
TASKS = tasks_of(ASSIGNMENT)
BEYOND = "ddpm_beyond"  # its planted files are packed, a few students for the whole catalogue
VICTIM = "correct-loop"  # the student whose files the hostile ones go after



@dataclass(frozen=True)
class Expect:
    """What one task of one student should grade as; status None accepts any failing status. passed None: a task
    calling a planted function that fails, which passes if the mistake does not show on its inputs (sample_latent
    calls ddim_sample at η = 0, where η's mistakes vanish) and else fails blaming that function (`diagnosis`)."""

    passed: bool | None
    status: str | None = None
    diagnosis: str | None = None
    points_lost: int = 0


PASS = Expect(True, "passed")


DEAF = """import signal


def posterior_mean(x0, x_t, t, betas):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the worker's own time limit can no longer fire
    while True:
        pass
"""

FORGER = """import gc
import io
import os
import pickle


class Payload:
    def __reduce__(self):
        return os.system, ("touch {marker}",)


def q_sample(x0, t, noise, alpha_bar):
    # down every pipe this process may write: a pickle that would run a shell command, then a forged reply
    for obj in gc.get_objects():
        if isinstance(obj, io.TextIOWrapper) and not obj.closed and obj.writable():
            try:
                if obj.fileno() > 2:
                    obj.flush()
                    obj.buffer.write(pickle.dumps(Payload()) + b"\\n")
                    obj.write('["reply", 0, {{"kind": "ok", "output": {{"number": 0.0}}}}]\\n')
                    obj.flush()
            except (OSError, ValueError):
                pass
    return x0
"""


def forger_marker(report: Path) -> Path:
    """The file the forged pickle would create, were it ever unpickled outside the sandbox."""
    return report.parent / "pickle-ran"


def _hostile(victim: Path, report: Path) -> dict[str, tuple[str, str, Expect]]:
    """student -> (task, cell source, expectation), for broken and hostile code of our own.

    Inside its sandbox a student's process sees no course file (the victim's notebook and the report folder are
    not there, and /tmp is a fresh one), runs as a user of its own with at most 64 processes, and cannot signal
    anything outside it; so each attempt fails, and fails only its own task.
    """
    ok_q = STYLES["float64"]["q_sample"]
    return {
        "broken-name_error": ("q_sample", "def q_sample(x0, t, noise, alpha_bar):\n"
                              "    return alpha_bar_prev[t] * x0\n", Expect(False, "error")),
        "broken-missing_function": ("posterior_mean", "def posterior_men(x0, x_t, t, betas):\n    return x_t\n",
                                    Expect(False, "missing")),
        "hostile-posix_exit": ("q_sample", "def q_sample(x0, t, noise, alpha_bar):\n"
                               "    import posix\n    posix._exit(7)\n", Expect(False, "exit")),
        "hostile-write_victim": ("eps_loss", f"def eps_loss(model, x0, t, noise, alpha_bar):\n"
                                 f"    with open({str(victim)!r}, 'w') as f:\n        f.write('pwned')\n"
                                 f"    return x0.sum()\n", Expect(False, "error")),
        # refused (a read-only /tmp) or written into the sandbox's own /tmp and then wrong (returns x_t): either
        # way a failure, and the real report folder is untouched
        "hostile-write_report": ("posterior_mean", f"import os\n\n\ndef posterior_mean(x0, x_t, t, betas):\n"
                                 f"    os.makedirs({str(report)!r}, exist_ok=True)\n"
                                 f"    open(os.path.join({str(report)!r}, 'report.html'), 'w').write('pwned')\n"
                                 f"    return x_t\n", Expect(False)),
        "hostile-read_victim": ("q_sample", f"def q_sample(x0, t, noise, alpha_bar):\n"
                                f"    open({str(victim)!r}).read()\n    return x0\n", Expect(False, "error")),
        "hostile-fork_loop": ("sample_loop", "import os\n\n\ndef sample_loop(model, x_T, betas, noises):\n"
                              "    while True:\n        os.fork()\n", Expect(False, "error")),
        "hostile-subprocess": ("eps_loss", "import subprocess\n\n\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                               "    subprocess.run(['sleep', '300'])\n    return x0.sum()\n", Expect(False, "timeout")),
        "hostile-kill_parent": ("sample_loop", "import os\n\n\ndef sample_loop(model, x_T, betas, noises):\n"
                                "    os.kill(os.getppid(), 9)\n    return x_T\n", Expect(False, "error")),
        "hostile-top_level": ("q_sample", "import os, sys\n"
                              f"open({str(victim)!r}, 'w').write('pwned')\n"
                              "BIG = [0] * 10**10\n"
                              "while True:\n    pass\nsys.exit()\nos._exit(1)\n\n\n" + ok_q, PASS),
        "hostile-deaf": ("posterior_mean", DEAF, Expect(False, "timeout")),
        "hostile-forger": ("q_sample", FORGER.format(marker=forger_marker(report)), Expect(False, "error")),
    }


def _source(assignment: str) -> Path:
    return ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb"


def solutions(assignment: str = ASSIGNMENT) -> dict[str, str]:
    """grade_id -> the instructor's solution cell, marker lines removed."""
    nb = nbformat.read(str(_source(assignment)), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = "\n".join(ln for ln in cell.source.splitlines() if "### " not in ln)
    return out


def _expect(p: Planted) -> Expect:
    """What the check of a planted file's task should find, from its header: a pass (less any slip), a diagnosis,
    or a status ("wrong": a mistake the catalogue does not hold)."""
    if p.expect == "passed":
        return Expect(True, "passed", points_lost=p.points_lost)
    return Expect(False, None, p.expect) if p.expect in DIAGNOSES else Expect(False, p.expect)


def planted(assignment: str = ASSIGNMENT) -> dict[str, tuple[str, str, Expect]]:
    """student -> (task, cell source, expectation), one per file in tests/graders/submissions/<assignment>/
    (tests/planted.py reads their headers)."""
    return {p.stem.replace("__", "-"): (p.task, p.path.read_text(), _expect(p)) for p in read_planted(assignment)}


def upstream() -> dict[str, tuple[str, str, Expect]]:
    """student -> (task, cell source, expectation) of the planted file whose wrong earlier function a planted
    student's right code calls (its `# upstream-from:` header): that student hands it in too."""
    files = {p.stem: p for p in read_planted(ASSIGNMENT)}
    return {p.stem.replace("__", "-"): (files[p.upstream].task, files[p.upstream].path.read_text(),
                                        _expect(files[p.upstream]))
            for p in files.values() if p.upstream}


def pack(assignment: str) -> dict[str, int]:
    """planted file stem -> the packed student (0, 1, …) who hands it in: every planted file of `assignment` in as
    few students as its largest task has files, each student holding at most one file per task (tasks are graded
    independently). Task by task in notebook order, a file with an `# upstream-from:` header goes to the student
    holding that file (whose earlier cell is the wrong function it calls); the task's other files take the remaining
    students in order."""
    by_task: dict[str, list[Planted]] = {}
    for p in read_planted(assignment):
        by_task.setdefault(p.task, []).append(p)
    students = max(len(files) for files in by_task.values())
    slot: dict[str, int] = {}
    for task in tasks_of(assignment):
        files = by_task.get(task, [])
        chained = {p.stem: slot[p.upstream] for p in files if p.upstream}
        free = [i for i in range(students) if i not in chained.values()]
        slot |= chained | dict(zip([p.stem for p in files if p.stem not in chained], free))
    return slot


def packed_students(assignment: str, base: dict[str, str]) -> dict[str, tuple[dict[str, str], dict[str, Expect]]]:
    """student -> (cells, task -> Expect) for the packed planted students of `assignment` (`pack`), named
    <assignment>-planted-NN. A task left unplanted keeps the instructor's cell and passes, unless its cell calls a
    planted function that fails (its spec's `upstream`): then it passes or fails blaming that function (`Expect`)."""
    tasks = tasks_of(assignment)
    files = {p.stem: p for p in read_planted(assignment)}
    carried: dict[int, dict[str, Planted]] = {}
    for stem, i in pack(assignment).items():
        carried.setdefault(i, {})[files[stem].task] = files[stem]
    out = {}
    for i, held in sorted(carried.items()):
        wants: dict[str, Expect] = {}
        for task, spec in tasks.items():  # notebook order: an upstream task's expectation is known before
            if task in held:
                wants[task] = _expect(held[task])
            else:
                failing = [u for u in spec.upstream if not wants[u].passed]
                wants[task] = Expect(None, None, f"calls_wrong_{failing[0]}") if failing else PASS
        cells = {**base, **{task: p.path.read_text() for task, p in held.items()}}
        out[f"{assignment}-planted-{i:02d}"] = cells, wants
    return out


def write_notebook(submitted: Path, student: str, cells: dict[str, str], assignment: str = ASSIGNMENT) -> Path:
    """submitted/<student>/<assignment>/<assignment>.ipynb: the source notebook with `cells` (grade_id -> source)."""
    nb = nbformat.read(str(_source(assignment)), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell.source = cells[grade_id]
    folder = submitted / student / assignment
    folder.mkdir(parents=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(nb, str(path))
    return path


def build_class(submitted: Path, report: Path) -> dict[str, dict[str, Expect]]:
    """Write the whole class under `submitted`; returns student -> task -> Expect. Student ids are unique across the
    two assignments (ddpm_beyond's start with "ddpm_beyond-"), so a student's tasks say which assignment it is."""
    base = solutions()
    expected: dict[str, dict[str, Expect]] = {}
    correct = {"correct-vectorised": base, **{f"correct-{s}": {**base, **STYLES[s]}
                                              for s in ("loop", "numpy", "float64", "gather")},
               "table": {**base, **STYLES["table"]}, "table-copy": {**base, **STYLES["table_renamed"]}}
    for student, cells in correct.items():
        write_notebook(submitted, student, cells)
        expected[student] = {t: PASS for t in TASKS}
    victim = submitted / VICTIM / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    earlier = upstream()
    for student, (task, source, expect) in {**planted(), **_hostile(victim, report)}.items():
        cells, wants = {task: source}, {task: expect}
        if student in earlier:
            up_task, up_source, up_expect = earlier[student]
            cells[up_task], wants[up_task] = up_source, up_expect
        write_notebook(submitted, student, {**base, **cells})
        expected[student] = {t: wants.get(t, PASS) for t in TASKS}
    beyond = solutions(BEYOND)
    honest = {f"{BEYOND}-instructor": (beyond, {t: PASS for t in tasks_of(BEYOND)})}
    for student, (cells, wants) in {**honest, **packed_students(BEYOND, beyond)}.items():
        write_notebook(submitted, student, cells, BEYOND)
        expected[student] = wants
    return expected
