"""Grading a whole class for the TA tool: every student's notebook through the confined worker, `jobs` at a time.

    runs = grade_class(find_submissions(folder), level="full", jobs=4)   # one StudentRun per submission

For each student: read the notebook (graders/notebook.py; reading only parses JSON), and hand its code cells with
the plans of every task of the assignment at `level` (graders/engine.py) to graders/runner.py, which runs them in
sandboxed worker processes and judges what comes back. So a student's code can cost only that student's points.

Students are independent. Each one graded at the same time as others gets a slot of its own (0 … jobs−1), which
picks the sandbox's unix user: concurrent students never share a user, so their process limits (RLIMIT_NPROC
counts per user) and signals stay their own. A thread per slot does nothing but wait on its worker's pipe.
"""
from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Iterable

from tqdm import tqdm

from .. import engine, notebook, runner
from ..cases import PUBLIC_SEED
from ..confine import Limits
from ..engine import Plan
from ..results import CheckResult, StudentRun
from ..tasks import tasks_of
from .roster import Submission


def grade_student(submission: Submission, plans: list[Plan], slot: int = 0, limits: Limits = Limits(),
                  check_timeout_s: float = runner.CHECK_TIMEOUT_S) -> StudentRun:
    """One student's StudentRun; an unreadable notebook fails every task as `missing`, with a note saying why."""
    run = StudentRun(submission.student, str(submission.notebook))
    try:
        nb = notebook.read(submission.notebook)
    except ValueError as e:
        run.notes.append(str(e))
        run.results = {p.spec.name: CheckResult(p.spec.name, p.level, False, "missing",
                                                f"{p.spec.name}: the notebook could not be read.").to_dict()
                       for p in plans}
        return run
    run.solution_cells = notebook.solution_cells(nb)
    graded = runner.grade_cells(notebook.worker_cells(nb), plans, slot=slot, limits=limits,
                                check_timeout_s=check_timeout_s)
    run.results = {task: result.to_dict() for (task, _), result in graded.results.items()}
    run.notes, run.processes, run.runtime_s = graded.notes, graded.processes, graded.runtime_s
    run.not_isolated = graded.not_isolated
    return run


def grade_class(submissions: Iterable[Submission], level: str = "full", jobs: int | None = None,
                limits: Limits = Limits(), progress: bool = True, assignment: str = "ddpm_core",
                check_timeout_s: float = runner.CHECK_TIMEOUT_S, seed: int = PUBLIC_SEED) -> list[StudentRun]:
    """Every task of `assignment` at `level` for every submission, `jobs` students at a time; see the module doc.

    Returns the runs in the order of `submissions`. check_timeout_s: wall-clock seconds one task may take before
    its worker is killed (graders/runner.py). seed: the hidden ("full") cases' seed (graders/hidden_seed.py).
    """
    submissions = list(submissions)
    jobs = max(1, jobs or os.cpu_count() or 1)
    plans = [engine.plan(spec, level, seed) for spec in tasks_of(assignment).values()]  # shared, never changed
    free_slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for slot in range(jobs):
        free_slots.put(slot)

    def grade(submission: Submission) -> StudentRun:
        slot = free_slots.get()  # never blocks: at most `jobs` students run at once
        try:
            return grade_student(submission, plans, slot, limits, check_timeout_s)
        finally:
            free_slots.put(slot)

    runs: list[StudentRun | None] = [None] * len(submissions)
    with tqdm(total=len(submissions), unit="student", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade") as pool:
        futures = {pool.submit(grade, s): i for i, s in enumerate(submissions)}
        try:
            for future in as_completed(futures):
                runs[futures[future]] = future.result()
                bar.update(1)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the students already running finish; no new ones start
            raise
    return runs
