"""Grading a whole class for the TA tool: one Dask task per student (graders/batch/cluster.py).

    runs = grade_class(find_submissions(folder), level="full", jobs=4)   # a LocalCluster of 4 workers
    runs = grade_class(submissions, client=client)                         # any Dask cluster
    runs = grade_course({"ddpm_core": core, "ddpm_beyond": beyond})       # several assignments, one cluster

Each task gets the student's notebook as text (read here, so workers need no course files, only this repository and its
environment), parses it (graders/engine/notebook.py; parsing only reads JSON), and hands its code cells with the plans
of every task of the assignment at `level` (graders/engine/judging.py) to graders/sandbox/runner.py, which runs them in
sandboxed worker processes, each under a sandbox user leased for it alone (graders/sandbox/users.py), and judges what
comes back. So a student's code can cost only that student's points. A task lost with its Dask worker runs again
elsewhere; a student whose grading fails on every try, or hits a fault of the grading machinery
(graders/engine/faults.py), gets every task marked NOT_GRADED, with the reason, and the command exits non-zero.
"""
from __future__ import annotations

import functools
from typing import Iterable

from ..batch.cluster import Failed, dask_client, per_student
from ..engine import judging, notebook
from ..engine.cases import PUBLIC_SEED
from ..engine.faults import GradingFault
from ..engine.judging import Plan
from ..engine.results import CheckResult, StudentRun
from ..engine.tasks import tasks_of
from ..sandbox import runner
from ..sandbox.confine import Limits
from .roster import Submission

NOT_GRADED = "not_graded"  # a task's status when the machinery, not the student, kept it from being graded


@functools.lru_cache(maxsize=8)
def plans_of(assignment: str, level: str, seed: int) -> tuple[Plan, ...]:
    """Every task's plan, made once per worker process (the cases' expected answers come from reference/)."""
    return tuple(judging.plan(spec, level, seed) for spec in tasks_of(assignment).values())


def failed_run(student: str, path: str, assignment: str, plans: Iterable[Plan], status: str,
               why: str) -> StudentRun:
    """A StudentRun failing every task with `status`, the note `why` saying what went wrong."""
    run = StudentRun(student, path, assignment, notes=[why])
    run.results = {p.spec.name: CheckResult(p.spec.name, p.level, False, status, f"{p.spec.name}: {why}").to_dict()
                   for p in plans}
    return run


def grade_student(student: str, path: str, text: str | None, assignment: str, level: str, seed: int,
                  limits: Limits, check_timeout_s: float) -> StudentRun:
    """One student's StudentRun from the notebook's text (None: the file could not be read)."""
    plans = plans_of(assignment, level, seed)
    try:
        nb = notebook.reads(text, path)
    except ValueError as e:
        return failed_run(student, path, assignment, plans, "missing", f"the notebook could not be read: {e}")
    run = StudentRun(student, path, assignment, solution_cells=notebook.solution_cells(nb))
    try:
        graded = runner.grade_cells(notebook.worker_cells(nb), list(plans), limits, check_timeout_s)
    except GradingFault as fault:
        return failed_run(student, path, assignment, plans, NOT_GRADED, f"not graded: {fault}")
    run.results = {task: result.to_dict() for (task, _), result in graded.results.items()}
    run.notes, run.processes, run.runtime_s = graded.notes, graded.processes, graded.runtime_s
    run.not_isolated = graded.not_isolated
    return run


def _text(path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def grade_class(submissions: Iterable[Submission], level: str = "full", jobs: int | None = None,
                limits: Limits = Limits(), progress: bool = True, assignment: str = "ddpm_core",
                check_timeout_s: float = runner.CHECK_TIMEOUT_S, seed: int = PUBLIC_SEED,
                scheduler: str | None = None, client=None) -> list[StudentRun]:
    """Every task of `assignment` at `level` for every submission; see the module doc.

    Runs on `client` if given, else on the Dask cluster at `scheduler`, else on a LocalCluster of `jobs` worker
    processes (default: one per core). Returns the runs in the order of `submissions`. check_timeout_s: wall-clock
    seconds one task may take before its worker is killed (graders/sandbox/runner.py). seed: the hidden ("full") cases'
    seed (graders/nbgrader/hidden_seed.py).
    """
    submissions = list(submissions)
    if client is None:
        with dask_client(scheduler, jobs) as client:
            return grade_class(submissions, level, jobs, limits, progress, assignment, check_timeout_s, seed,
                               client=client)
    args = {s.student: (s.student, str(s.notebook), _text(s.notebook), assignment, level, seed, limits,
                        check_timeout_s) for s in submissions}
    runs: dict[str, StudentRun] = {}
    for student, outcome in per_student(client, grade_student, args, progress, "compare"):
        if isinstance(outcome, Failed):
            outcome = failed_run(student, args[student][1], assignment, plans_of(assignment, level, seed),
                                 NOT_GRADED, f"not graded: grading failed on every try ({outcome.reason})")
        runs[student] = outcome
    return [runs[s.student] for s in submissions]


def grade_course(classes: dict[str, list[Submission]], level: str = "full", jobs: int | None = None,
                 limits: Limits = Limits(), progress: bool = True, check_timeout_s: float = runner.CHECK_TIMEOUT_S,
                 seed: int = PUBLIC_SEED, scheduler: str | None = None) -> list[StudentRun]:
    """grade_class for every assignment of `classes` (assignment -> its submissions) on one Dask cluster, started
    once for them all; the runs, assignment after assignment."""
    with dask_client(scheduler, jobs) as client:
        return [run for assignment, submissions in classes.items()
                for run in grade_class(submissions, level, jobs, limits, progress, assignment, check_timeout_s, seed,
                                       client=client)]
