"""Merging the results of several machines into one report.

    python -m graders.compare.merge part1/results.jsonl part2/results.jsonl … --out report/

Each part comes from `python -m graders.compare … --shard K/N --out partK/`; the merged report is the one a single
machine would have written, the similarity review included (it needs every student's code, which results.jsonl holds).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..tasks import tasks_of
from .cli import write_report
from .report import assignment_of, read_results
from .similarity import THRESHOLD


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m graders.compare.merge", description=__doc__.split("\n\n")[0])
    p.add_argument("results", type=Path, nargs="+", help="results.jsonl files written by graders.compare")
    p.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: report/)")
    p.add_argument("--threshold", type=float, default=THRESHOLD, help="as in graders.compare")
    args = p.parse_args(argv)
    runs = {}
    for path in args.results:
        for run in read_results(path):
            if run.student in runs:
                print(f"error: {run.student} appears in more than one part ({path})", file=sys.stderr)
                return 2
            runs[run.student] = run
    try:
        assignment = assignment_of(list(runs.values()))
        tasks = tasks_of(assignment)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_report(list(runs.values()), tasks, args.out,
                 f"DDPM Lab — {assignment}: TA comparison of {len(runs)} students", args.threshold)
    print(f"{len(runs)} students from {len(args.results)} parts. Report: {args.out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
