"""The command line of the TA tool: find the class, grade it, write the report (see the package docstring)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .. import confine, runner
from ..canary import canary
from ..checks import LEVELS
from ..cases import PUBLIC_SEED
from ..confine import NOT_ISOLATED, ROOT, Limits
from ..engine import TaskSpec
from ..faults import GradingFault
from ..hidden_seed import PUBLIC_WARNING, course_seed
from ..results import StudentRun
from ..tasks import tasks_of
from .grade import NOT_GRADED, grade_class, plans_of
from .report import misconception_counts, write_csv, write_results
from .report_html import write_html
from .roster import find_submissions
from .similarity import THRESHOLD, review


def write_report(runs: list[StudentRun], tasks: dict[str, TaskSpec], out: Path, title: str,
                 threshold: float = THRESHOLD) -> None:
    """report.html, report.csv and results.jsonl for `runs` in the folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    runs = sorted(runs, key=lambda r: r.student)
    write_results(runs, out / "results.jsonl")
    write_csv(runs, tasks, out / "report.csv")
    write_html(runs, tasks, review({r.student: r.solution_cells for r in runs}, threshold), out / "report.html", title)


def warn_not_isolated(why: str) -> None:
    """NOT_ISOLATED on stderr, framed so it is not lost in the progress bar's output."""
    rule = "!" * 100
    print(f"\n{rule}\n{NOT_ISOLATED.format(why=why)}\n{rule}\n", file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    from . import __doc__ as doc

    p = argparse.ArgumentParser(prog="python -m graders.compare", description=doc.split("\n\n")[0])
    p.add_argument("submitted", type=Path, help="nbgrader's submitted/ folder, or the course folder holding it")
    p.add_argument("--assignment", help="which assignment (needed only if students submitted several)")
    p.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: report/)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="LocalCluster worker processes, each grading one student at a time (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="grade on this Dask cluster instead, e.g. tcp://HOST:8786 (its workers need this repository "
                        "and its environment; the notebooks travel with the tasks)")
    p.add_argument("--level", choices=LEVELS, default="full", help="the checks' level (default: full)")
    p.add_argument("--task-timeout", type=float, default=runner.CHECK_TIMEOUT_S,
                   help=f"wall-clock seconds one task's check may take before its worker is killed "
                        f"(default: {runner.CHECK_TIMEOUT_S:g})")
    p.add_argument("--memory-gib", type=float, default=Limits.memory_gib,
                   help=f"address space of each student's sandboxed process (default: {Limits.memory_gib:g})")
    p.add_argument("--seed-file", type=Path,
                   help="the course's hidden-case seed (c.HiddenCases.seed_file, e.g. assignments/hidden_seed.txt), "
                        "so the full checks run nbgrader's hidden cases (default: the public seed)")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"similarity at which submissions count as near-identical (default: {THRESHOLD:g})")
    p.add_argument("--source", type=Path, metavar="NOTEBOOK",
                   help="the instructor's solution, graded first as a canary: nobody is graded unless it gets full "
                        "marks (default: source/ASSIGNMENT/ASSIGNMENT.ipynb in the course folder, else this "
                        "repository's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.jobs < 1:
        parser().error(f"--jobs must be at least 1; got {args.jobs}")
    try:
        submissions = find_submissions(args.submitted, args.assignment)
        assignment = Path(submissions[0].notebook).parent.name
        tasks = tasks_of(assignment)
        if args.seed_file and not args.seed_file.is_file():  # course_seed would make a new one: other cases
            raise ValueError(f"--seed-file {args.seed_file} does not exist; nbgrader makes it on its first autograde")
        seed = course_seed(args.seed_file) if args.seed_file else PUBLIC_SEED
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not args.seed_file and args.level == "full":
        print(f"note: {PUBLIC_WARNING}; pass --seed-file to grade on the course's own hidden cases", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)  # before grading: an unwritable --out fails now, not in minutes
    why = confine.isolation_problem()
    if why:
        warn_not_isolated(why)
    try:
        canary(args.source or source_of(args.submitted, assignment), list(plans_of(assignment, args.level, seed)))
    except GradingFault as fault:
        print(f"error: nobody graded: {fault}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        runs = grade_class(submissions, args.level, args.jobs, Limits(memory_gib=args.memory_gib),
                           progress=not args.no_progress, assignment=assignment, check_timeout_s=args.task_timeout,
                           seed=seed, scheduler=args.scheduler)
    except ConnectionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    write_report(runs, tasks, args.out, f"DDPM Lab — {assignment}: TA comparison ({args.level} checks)",
                 args.threshold)
    passed = sum(r.results[t]["passed"] for r in runs for t in tasks)
    print(f"{len(runs)} students, {passed} of {len(runs) * len(tasks)} task checks passed, "
          f"{sum(misconception_counts(runs).values())} diagnosed mistakes; {seconds:.1f} s on "
          f"{args.scheduler or f'a LocalCluster of {args.jobs}'}. "
          f"Report: {args.out / 'report.html'}")
    for reason in sorted({r.not_isolated for r in runs if r.not_isolated} | ({why} if why else set())):
        warn_not_isolated(reason)
    missed = {r.student: r.notes[0] for r in runs if any(v["status"] == NOT_GRADED for v in r.results.values())}
    for student, reason in sorted(missed.items()):
        print(f"{student}: {reason}", file=sys.stderr)
    if missed:
        print(f"not graded: {', '.join(sorted(missed))} ({len(missed)} of {len(runs)}); grade them again",
              file=sys.stderr)
    return 1 if missed else 0


def source_of(submitted: Path, assignment: str) -> Path:
    """The instructor's notebook of `assignment`: in the course folder of `submitted` (source/), else this
    repository's course (assignments/source/)."""
    course = submitted if (submitted / "source").is_dir() else submitted.parent
    for root in (course, ROOT / "assignments"):
        path = root / "source" / assignment / f"{assignment}.ipynb"
        if path.is_file():
            return path
    raise GradingFault(f"no instructor's solution of {assignment} to check the grading with (looked in "
                       f"{course / 'source'} and {ROOT / 'assignments' / 'source'}); give it with --source")
