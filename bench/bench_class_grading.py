"""Benchmark: a mixed class graded again and again by both front ends: does every student end graded, the same way?

Builds one copy of the course with N submissions (the instructor's solution and the planted mistakes of
tests/graders/submissions/ddpm_core/ that do not burn a time limit, in turn: bench/bench_autograde.py's class), then
grades it R times with `nbgrader autograde --force` and R times with `python -m graders.batch.autograde` (Dask, a
LocalCluster of two workers). After each run it counts, from the gradebook and the course folder:

- students graded (a submission with a score) and students not graded (a not_graded/ record with its reason);
  a student with neither would be a grading lost without a word;
- kernels that died before running a cell (started again) and kernels that stopped mid-notebook, from the log;
- whether every student's score is the same as in the first run (a grade must not depend on luck).

Run from the repository root: .venv/bin/python -m bench.bench_class_grading [N] [R]   (default N = 50, R = 3)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook
from tqdm import tqdm

from bench.bench_autograde import build_course, submissions
from graders.nbgrader.cli import run_nbgrader
from graders.engine.faults import NOT_GRADED

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ddpm_core"


def scores(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}


def not_graded(course: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text().strip() for p in (course / NOT_GRADED).glob(f"*/{ASSIGNMENT}.txt")}


def grade(course: Path, front_end: str) -> tuple[int, str, float]:
    """(exit code, log, seconds) of one grading of the whole class."""
    start = time.perf_counter()
    if front_end == "nbgrader autograde":
        done = run_nbgrader("autograde", ASSIGNMENT, "--create", "--force", cwd=course, check=False)
    else:
        done = subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--course", str(course),
                               "--workers", "2", "--no-progress"], env={**os.environ, "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def main(n: int = 50, repeats: int = 3) -> None:
    runs = [(f, r) for r in range(repeats) for f in ("nbgrader autograde", "graders.batch.autograde")]
    rows, first = [], None
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        build_course(course, submissions(n))
        students = sorted(p.name for p in (course / "submitted").iterdir())
        for front_end, r in tqdm(runs, desc="gradings of the class", unit="run"):
            code, log, seconds = grade(course, front_end)
            got, missed = scores(course), not_graded(course)
            first = first or got
            rows.append((front_end, r + 1, code, len(got), len(missed),
                         sum(s not in got and s not in missed for s in students),
                         log.count("died before running a cell"), log.count("The notebook's kernel stopped"),
                         sum(got.get(s) != first.get(s) for s in students), seconds))
    print(f"{n} mixed submissions of {ASSIGNMENT}, graded {repeats} times by each front end:")
    head = ("front end", "run", "exit", "graded", "not graded", "neither", "kernel restarts at start",
            "kernels stopped mid-run", "scores unlike run 1", "seconds")
    print(" | ".join(head))
    for row in rows:
        print(" | ".join(f"{v:.0f}" if isinstance(v, float) else str(v) for v in row))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
