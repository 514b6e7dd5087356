"""nbgrader's autograde, with the grade of record decided by the grading engine outside the student's process.

assignments/nbgrader_config.py puts these two in `c.Autograde.autograde_preprocessors` in place of nbgrader's
Execute:

- ConfinedExecute runs the notebook as nbgrader's Execute does, but in a confined kernel (graders/kernel.py), and
  a kernel that dies or is stopped costs nothing more: the run goes on with what executed so far. Meanwhile, in
  a thread, it starts grading: the student's cells from the notebook, every task's checks in a confined worker
  (graders/runner.py), judged by the engine in this process.
- GradeWithEngine waits for that grading (or grades now, if it was not started) and writes each test cell's
  outcome — its output replaced, whatever the kernel printed — as the result nbgrader's own scoring reads: a
  stdout line for a pass, an execute_result with the points left after a contract slip (nbgrader's partial
  credit), or an error with the check's message.

A test cell's grade_id names its task and level: test_<task>_sanity or test_<task>_hidden. Points lost for a
slip are taken once per task, in its hidden cell.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from . import engine, notebook, runner
from .confine import NOT_ISOLATED
from .hidden_seed import HiddenCases
from .kernel import ConfinedKernelManager
from .results import CheckResult
from .tasks import tasks_of

LEVEL_OF_CELL = {"sanity": "sanity", "hidden": "full"}
GRADING = "ddpm_lab_grading"  # the resources key under which ConfinedExecute hands its grading to GradeWithEngine


class ConfinedExecute(Execute):
    """nbgrader's Execute in a confined kernel; a dead, stopped or stuck kernel ends execution, not the grading."""

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", ConfinedKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources, km=None):
        with ThreadPoolExecutor(1) as pool:
            job = grading_job(nb, resources["nbgrader"]["assignment"], hidden_seed(self))
            resources[GRADING] = pool.submit(runner.grade_cells, *job)
            return self._execute(nb, resources, km)

    def _execute(self, nb, resources, km):
        try:
            return super().preprocess(nb, resources, km)
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as e:
            self.log.warning("The notebook's kernel stopped (%s: %s); the grades come from the grading worker.",
                             type(e).__name__, str(e).splitlines()[0][:200] if str(e) else "")
            return nb, resources


def test_cells(nb: NotebookNode, tasks) -> dict[int, tuple[str, str] | None]:
    """index -> (task, level) of every test cell; None for a test cell that names no task."""
    return {i: task_of_cell(c, tasks) for i, c in enumerate(nb.cells) if notebook.is_test(c)}


def hidden_seed(preprocessor) -> int:
    """The course's hidden-case seed (c.HiddenCases.seed_file), warning in the log where there is none."""
    seed, warning = HiddenCases(parent=preprocessor).seed()
    if warning:
        preprocessor.log.warning("%s", warning)
    return seed


def grading_job(nb: NotebookNode, assignment: str, seed: int) -> tuple[list[dict], list[engine.Plan]]:
    """runner.grade_cells's arguments: the notebook's cells, and a plan per check its test cells ask for."""
    tasks = tasks_of(assignment)
    wanted = list(dict.fromkeys(tl for tl in test_cells(nb, tasks).values() if tl is not None))
    return notebook.worker_cells(nb), [engine.plan(tasks[t], level, seed) for t, level in wanted]


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
        graded = started.result() if started is not None else runner.grade_cells(*grading_job(nb, assignment, hidden_seed(self)))
        if graded.not_isolated:
            self.log.warning(NOT_ISOLATED.format(why=graded.not_isolated))
        self.log.info("%s: graded %d checks in %.1f s (%d worker process%s)", resources["nbgrader"]["student"],
                      len(graded.results), graded.runtime_s, graded.processes, "" if graded.processes == 1 else "es")
        for i, (task, level) in cells.items():
            cell, result = nb.cells[i], graded.results[(task, level)]
            if not result.passed and graded.notes:
                result.message += "\nWhile loading your notebook: " + "; ".join(graded.notes[:3])
            cell.outputs = _outputs(result, cell.metadata["nbgrader"]["points"], level == "full")
        return nb, resources
