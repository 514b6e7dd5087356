"""TA comparison: every submission through the autograder's checks, side by side.

    python -m graders.compare assignments/submitted --assignment ddpm_core --out report/ [--jobs N] [--shard K/N]

reads nbgrader's submitted/<student>/<assignment>/<assignment>.ipynb (the course folder works too), grades every
student in processes of their own (graders/isolate.py), and writes to --out:

    report.html    the student × task matrix, misconception counts, near-identical submissions, every message
    report.csv     one row per student × task: pass/fail, status, points, max abs/rel error, diagnosis, runtime
    results.jsonl  one student per line, for merging shards from several machines (python -m graders.merge)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .checks import LEVELS, TASKS
from .confine import Limits
from .isolate import StudentRun, grade_class
from .report import misconception_counts, write_csv, write_results
from .report_html import write_html
from .roster import find_submissions
from .similarity import THRESHOLD, review


def write_report(runs: list[StudentRun], out: Path, title: str, threshold: float = THRESHOLD) -> None:
    """report.html, report.csv and results.jsonl for `runs` in the folder `out`."""
    out.mkdir(parents=True, exist_ok=True)
    runs = sorted(runs, key=lambda r: r.student)
    write_results(runs, out / "results.jsonl")
    write_csv(runs, out / "report.csv")
    write_html(runs, review({r.student: r.solution_cells for r in runs}, threshold),
               out / "report.html", title)


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes K/N, e.g. 2/8; got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard K/N needs 1 ≤ K ≤ N; got {text!r}")
    return k, n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m graders.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("submitted", type=Path, help="nbgrader's submitted/ folder, or the course folder holding it")
    p.add_argument("--assignment", help="which assignment (needed only if students submitted several)")
    p.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: report/)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="students graded at once (default: all cores)")
    p.add_argument("--level", choices=LEVELS, default="full", help="the checks' level (default: full)")
    p.add_argument("--shard", type=_shard, help="grade only every N-th student from the K-th (K/N), for scale-out")
    p.add_argument("--task-timeout", type=float, default=60.0, help="seconds one task may take (default: 60)")
    p.add_argument("--memory-gib", type=float, default=Limits.memory_gib,
                   help=f"address space per student process over the grader's own (default: {Limits.memory_gib:g})")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"similarity at which submissions count as near-identical (default: {THRESHOLD:g})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.jobs < 1:
        parser().error(f"--jobs must be at least 1; got {args.jobs}")
    try:
        submissions = find_submissions(args.submitted, args.assignment)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    assignment = Path(submissions[0].notebook).parent.name
    if args.shard:  # a shard may be empty when N exceeds the class; its results.jsonl is then empty too
        k, n = args.shard
        submissions = submissions[k - 1::n]
    args.out.mkdir(parents=True, exist_ok=True)  # before grading: an unwritable --out fails now, not in minutes
    start = time.perf_counter()
    runs = grade_class(submissions, args.level, args.jobs, Limits(memory_gib=args.memory_gib), args.task_timeout,
                       private_roots=(args.submitted.resolve(), args.out.resolve()), progress=not args.no_progress)
    seconds = time.perf_counter() - start
    write_report(runs, args.out, f"DDPM Lab — {assignment}: TA comparison ({args.level} checks)", args.threshold)
    passed = sum(r.results[t]["passed"] for r in runs for t in TASKS)
    print(f"{len(runs)} students, {passed} of {len(runs) * len(TASKS)} task checks passed, "
          f"{sum(misconception_counts(runs).values())} diagnosed mistakes; {seconds:.1f} s with {args.jobs} jobs. "
          f"Report: {args.out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
