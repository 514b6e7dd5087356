"""nbgrader's autograde, with the grade of record decided by the grading engine outside the student's process.

assignments/nbgrader_config.py puts these two in `c.Autograde.autograde_preprocessors` in place of nbgrader's
Execute:

- ConfinedExecute runs the notebook as nbgrader's Execute does, but in a confined kernel (graders/sandbox/kernel.py),
  and a kernel that dies or is stopped costs nothing more: the run goes on with what executed so far. Meanwhile, in
  a thread, it starts grading: the student's cells from the notebook, every task's checks in a confined worker
  (graders/sandbox/runner.py), judged by the engine in this process.
- GradeWithEngine waits for that grading (or grades now, if it was not started) and writes each test cell's
  outcome — its output replaced, whatever the kernel printed — as the result nbgrader's own scoring reads: a
  stdout line for a pass, an execute_result with the points left after a contract slip (nbgrader's partial
  credit), or an error with the check's message.

A test cell's grade_id names its task and level: test_<task>_sanity or test_<task>_hidden. Points lost for a
slip are taken once per task, in its hidden cell.

Faults of the grading machinery are never a grade (graders/engine/faults.py). Before its first student of an assignment,
ConfinedExecute grades the instructor's solution from the course's source/ folder (graders/nbgrader/canary.py) and
grades nobody unless it gets full marks. A GradingFault (the canary, a sandbox killed from outside, no sandbox user
free, an engine error) makes the student *not graded*: the reason goes to the log and to not_graded/<student>/
<assignment>.txt in the course folder, the gradebook keeps no score for a first grading (a regrade keeps the earlier
grades), and the exception makes nbgrader drop the autograded copy and exit non-zero. A kernel that dies before replying
is started again (KERNEL_STARTS tries); one that dies later leaves a note in the cell it stopped at (or the next one
that is not a test cell), so the feedback says why the outputs stop there.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool

from ..engine import judging, notebook
from ..engine.faults import GradingFault, not_graded_record
from ..engine.results import CheckResult
from ..engine.tasks import tasks_of
from ..sandbox import runner
from ..sandbox.confine import NOT_ISOLATED
from ..sandbox.kernel import ConfinedKernelManager
from .canary import canary as grade_canary
from .canary import read_source
from .hidden_seed import HiddenCases
from .submission_files import refused_note, unsafe_files

LEVEL_OF_CELL = {"sanity": "sanity", "hidden": "full"}
GRADING = "ddpm_lab_grading"  # the resources key under which ConfinedExecute hands its grading to GradeWithEngine
KERNEL_STARTS = 3


class ConfinedExecute(Execute):
    """nbgrader's Execute in a confined kernel; a dead, stopped or stuck kernel ends execution, not the grading."""

    canary = Bool(True, help="Grade the instructor's solution (source/) before the first student of an assignment "
                             "and grade nobody unless it gets full marks. graders.batch.autograde turns it off in its "
                             "workers, having checked it once for the whole batch.").tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", ConfinedKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources, km=None):
        assignment, seed = resources["nbgrader"]["assignment"], hidden_seed(self)
        try:
            if self.canary:
                source = source_notebook(self, assignment, resources["nbgrader"]["notebook"])
                grade_canary(source, grading_job(read_source(source), assignment, seed)[1])
        except GradingFault as fault:
            not_graded(self, resources, fault)
        with ThreadPoolExecutor(1) as pool:
            resources[GRADING] = pool.submit(runner.grade_cells, *grading_job(nb, assignment, seed))
            return self._execute(nb, resources, km)

    def create_kernel_manager(self):
        self.confined_km = super().create_kernel_manager()
        return self.confined_km

    def preprocess_cell(self, cell, resources, index):
        self.running = index  # the cell a kernel that dies now dies in
        return super().preprocess_cell(cell, resources, index)

    def _execute(self, nb, resources, km):
        for start in range(1, KERNEL_STARTS + 1):
            self.confined_km, self.running = None, 0
            try:
                return super().preprocess(nb, resources, km)
            except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as e:
                error = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                because = getattr(self.confined_km, "ended_because", None) or "it gave no reason"
                ran = any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)
                if not ran and start < KERNEL_STARTS:
                    self.log.warning("The notebook's kernel died before running a cell (%s; %s); starting it again "
                                     "(%d of %d).", error, because, start + 1, KERNEL_STARTS)
                    continue
                self.log.warning("The notebook's kernel stopped (%s; %s); the grades come from the grading worker.",
                                 error, because)
                _note_where_it_stopped(nb, self.running, because)
                return nb, resources
        return nb, resources


def _note_where_it_stopped(nb: NotebookNode, running: int, because: str) -> None:
    """A note in the cell the kernel stopped at (`running`), or the first code cell after it that is neither a test
    cell (their outputs become the verdicts) nor tagged skip-execution: why it and the cells after it have no
    output."""
    for cell in nb.cells[running:]:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and not notebook.is_test(cell) and "skip-execution" not in tags:
            cell.outputs.append(new_output(
                "stream", name="stderr",
                text=f"The notebook's kernel stopped at this cell ({because.splitlines()[0][:300]}), so this "
                     f"cell and the ones after it show no output. Your grade does not depend on it: the autograder "
                     f"called your functions in a sandbox of its own.\n"))
            return


def source_notebook(preprocessor, assignment: str, name: str) -> Path:
    """The instructor's notebook `name` of `assignment` in the course's source/ folder."""
    coursedir = CourseDirectory(parent=preprocessor)
    return Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{name}.ipynb"


def not_graded(preprocessor, resources, fault: GradingFault) -> None:
    """Record the student as not graded because of `fault` (see the module doc), then raise it for nbgrader."""
    info = resources["nbgrader"]
    student, assignment = info["student"], info["assignment"]
    preprocessor.log.error("NOT GRADED: %s, %s: %s", student, assignment, fault)
    record = not_graded_record(CourseDirectory(parent=preprocessor).root, student, assignment)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{fault}\n")
    with Gradebook(info["db_url"]) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            submission = None
        graded_before = submission is not None and any(
            g.auto_score is not None or g.manual_score is not None for n in submission.notebooks for g in n.grades)
        if submission is not None and not graded_before:
            gb.remove_submission(assignment, student)
    raise fault


def _left_out(preprocessor, nb: NotebookNode, resources) -> None:
    """Fail closed if the submission still holds what graders/nbgrader/submission_files.py sets aside (its hook did not
    run); else tell the student, in the first code cell, what was left out of grading."""
    info = resources["nbgrader"]
    coursedir = CourseDirectory(parent=preprocessor)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]))
    if submitted.is_dir() and unsafe_files(submitted):
        not_graded(preprocessor, resources, GradingFault(
            f"{submitted} holds links or special files that were not set aside before copying (is c.Autograde."
            f"pre_convert_hook = graders.nbgrader.submission_files.check_submission in nbgrader_config.py?)"))
    note = refused_note(Path(coursedir.root), info["student"], info["assignment"])
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    if note and first is not None:
        preprocessor.log.warning("%s: left out of grading: %s", info["student"], note.replace("\n", "; "))
        first.outputs.append(new_output("stream", name="stderr", text=(
            f"Left out of grading and not copied back to you, since a submission may hold only files of its own:\n"
            f"{note}\nHand in your notebook (and files you wrote) as plain files.\n")))


def clear_not_graded(preprocessor, resources) -> None:
    """Forget an earlier not-graded record of this student's assignment, now that it has a grade."""
    info = resources["nbgrader"]
    not_graded_record(CourseDirectory(parent=preprocessor).root, info["student"], info["assignment"]).unlink(
        missing_ok=True)


def test_cells(nb: NotebookNode, tasks) -> dict[int, tuple[str, str] | None]:
    """index -> (task, level) of every test cell; None for a test cell that names no task."""
    return {i: task_of_cell(c, tasks) for i, c in enumerate(nb.cells) if notebook.is_test(c)}


def hidden_seed(preprocessor) -> int:
    """The course's hidden-case seed (c.HiddenCases.seed_file), warning in the log where there is none."""
    seed, warning = HiddenCases(parent=preprocessor).seed()
    if warning:
        preprocessor.log.warning("%s", warning)
    return seed


def grading_job(nb: NotebookNode, assignment: str, seed: int) -> tuple[list[dict], list[judging.Plan]]:
    """runner.grade_cells's arguments: the notebook's cells, and a plan per check its test cells ask for."""
    tasks = tasks_of(assignment)
    wanted = list(dict.fromkeys(tl for tl in test_cells(nb, tasks).values() if tl is not None))
    return notebook.worker_cells(nb), [judging.plan(tasks[t], level, seed) for t, level in wanted]


def task_of_cell(cell: NotebookNode, tasks) -> tuple[str, str] | None:
    """(task, level) a test cell grades, from its grade_id test_<task>_<sanity|hidden>; None if it names none."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    if not grade_id.startswith("test_"):
        return None
    task, _, kind = grade_id[len("test_"):].rpartition("_")
    return (task, LEVEL_OF_CELL[kind]) if task in tasks and kind in LEVEL_OF_CELL else None


def _outputs(result: CheckResult, points: float, hidden: bool) -> list[NotebookNode]:
    """The test cell's outputs for nbgrader: stdout for a pass, partial credit after a slip, an error for a fail."""
    if not result.passed:
        return [new_output("error", ename="CheckFailed", evalue=result.message,
                           traceback=["CheckFailed: " + line for line in result.message.splitlines()])]
    outputs = [new_output("stream", name="stdout", text=result.message + "\n")]
    if hidden and result.points_lost:
        outputs.append(new_output("execute_result", data={"text/plain": repr(float(points - result.points_lost))},
                                  execution_count=None))
    return outputs


class GradeWithEngine(NbGraderPreprocessor):
    """Writes every test cell's outcome from a confined grading worker (see the module docstring)."""

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        cells = test_cells(nb, tasks_of(assignment))
        for i in [i for i, task_level in cells.items() if task_level is None]:
            grade_id = nb.cells[i].metadata["nbgrader"].get("grade_id")
            self.log.warning("test cell %r names no task of %r; it scores 0 (a test cell's grade_id must be "
                             "test_<task>_sanity or test_<task>_hidden)", grade_id, assignment)
            nb.cells[i].outputs = [new_output("error", ename="UnknownTest", evalue=f"{grade_id}: not a test of "
                                              f"{assignment}", traceback=[f"UnknownTest: {grade_id}"])]
            del cells[i]
        started: Future | None = resources.pop(GRADING, None)
        try:
            graded = started.result() if started is not None else runner.grade_cells(
                *grading_job(nb, assignment, hidden_seed(self)))
        except GradingFault as fault:
            not_graded(self, resources, fault)
        if graded.not_isolated:
            self.log.warning(NOT_ISOLATED.format(why=graded.not_isolated))
        self.log.info("%s: graded %d checks in %.1f s (%d worker process%s)", resources["nbgrader"]["student"],
                      len(graded.results), graded.runtime_s, graded.processes, "" if graded.processes == 1 else "es")
        for i, (task, level) in cells.items():
            cell, result = nb.cells[i], graded.results[(task, level)]
            if not result.passed and graded.notes:
                result.message += "\nWhile loading your notebook: " + "; ".join(graded.notes[:3])
            cell.outputs = _outputs(result, cell.metadata["nbgrader"]["points"], level == "full")
        _left_out(self, nb, resources)
        clear_not_graded(self, resources)
        return nb, resources
