"""The command line of the TA tool: find the class, grade it, write the report (see the package docstring)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..engine.cases import PUBLIC_SEED
from ..engine.faults import GradingFault
from ..engine.judging import LEVELS
from ..engine.results import StudentRun
from ..engine.tasks import tasks_of
from ..nbgrader.canary import canary
from ..nbgrader.hidden_seed import PUBLIC_WARNING, course_seed
from ..sandbox import confine, runner
from ..sandbox.confine import NOT_ISOLATED, ROOT, Limits
from .grade import grade_course, plans_of
from .report import by_assignment, misconception_counts, not_graded, write_csv, write_results
from .report_html import write_html
from .roster import assignments_in, find_submissions, read_names
from .similarity import THRESHOLD, review


def write_report(runs: list[StudentRun], out: Path, title: str, threshold: float = THRESHOLD,
                 names: dict[str, str] | None = None) -> None:
    """report.html, report.csv and results.jsonl for `runs`, of one assignment or several, in the folder `out`;
    names: student id -> name, for the page's search."""
    out.mkdir(parents=True, exist_ok=True)
    course = {a: (rs, tasks_of(a)) for a, rs in by_assignment(runs).items()}
    write_results([r for rs, _ in course.values() for r in rs], out / "results.jsonl")
    write_csv(course, out / "report.csv")
    write_html({a: (rs, tasks, review({r.student: r.solution_cells for r in rs}, threshold))
                for a, (rs, tasks) in course.items()}, out / "report.html", title, names)


def warn_not_isolated(why: str) -> None:
    """NOT_ISOLATED on stderr, framed so it is not lost in the progress bar's output."""
    rule = "!" * 100
    print(f"\n{rule}\n{NOT_ISOLATED.format(why=why)}\n{rule}\n", file=sys.stderr, flush=True)


def parser(prog: str = "python -m graders.compare") -> argparse.ArgumentParser:
    from . import __doc__ as doc

    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    p.add_argument("submitted", type=Path, help="nbgrader's submitted/ folder, or the course folder holding it")
    p.add_argument("--assignment", action="append",
                   help="an assignment to grade; repeat it for several, in one report with a course view "
                        "(default: every assignment found)")
    p.add_argument("--roster", type=Path, metavar="CSV",
                   help="students' names, for the report's search: a CSV with an id column and first_name and "
                        "last_name (or name) columns, as `nbgrader db student import` reads")
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


def main(argv: list[str] | None = None, prog: str = "python -m graders.compare") -> int:
    args = parser(prog).parse_args(argv)
    if args.jobs < 1:
        parser(prog).error(f"--jobs must be at least 1; got {args.jobs}")
    try:
        assignments = args.assignment or assignments_in(args.submitted)
        if args.source and len(assignments) > 1:
            raise ValueError(f"--source is the solution of one assignment; grading {', '.join(assignments)}, "
                             f"leave it out or choose one --assignment")
        classes = {a: (find_submissions(args.submitted, a), tasks_of(a)) for a in assignments}
        if args.seed_file and not args.seed_file.is_file():  # course_seed would make a new one: other cases
            raise ValueError(f"--seed-file {args.seed_file} does not exist; nbgrader makes it on its first autograde")
        seed = course_seed(args.seed_file) if args.seed_file else PUBLIC_SEED
        names = read_names(args.roster) if args.roster else {}
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
        for a in assignments:
            canary(args.source or source_of(args.submitted, a), list(plans_of(a, args.level, seed)))
    except GradingFault as fault:
        print(f"error: nobody graded: {fault}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        runs = grade_course({a: submissions for a, (submissions, _) in classes.items()}, args.level, args.jobs,
                            Limits(memory_gib=args.memory_gib), progress=not args.no_progress,
                            check_timeout_s=args.task_timeout, seed=seed, scheduler=args.scheduler)
    except ConnectionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    write_report(runs, args.out, f"DDPM Lab — {', '.join(assignments)}: TA comparison ({args.level} checks)",
                 args.threshold, names)
    checks = [r.results[t]["passed"] for r in runs for t in classes[r.assignment][1]]
    print(f"{len({r.student for r in runs})} students, {sum(checks)} of {len(checks)} task checks passed, "
          f"{sum(misconception_counts(runs).values())} diagnosed mistakes; {seconds:.1f} s on "
          f"{args.scheduler or f'a LocalCluster of {args.jobs}'}. "
          f"Report: {args.out / 'report.html'}")
    for reason in sorted({r.not_isolated for r in runs if r.not_isolated} | ({why} if why else set())):
        warn_not_isolated(reason)
    missed = {(r.student, r.assignment): r.notes[0] for r in runs if not_graded(r)}
    for (student, a), reason in sorted(missed.items()):
        print(f"{student} ({a}): {reason}", file=sys.stderr)
    if missed:
        print(f"not graded: {', '.join(f'{s} ({a})' for s, a in sorted(missed))} ({len(missed)} of {len(runs)}); "
              f"grade them again", file=sys.stderr)
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
