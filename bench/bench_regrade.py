"""Benchmark: regrading one student, `nbgrader autograde --student` against `python -m graders.batch.autograde --students`.

Builds a class of three correct submissions in a temporary copy of the course and grades it once with nbgrader.
Then regrades student001 ROUNDS times with each command, alternating (same machine, same run), each a fresh
process as an instructor would start it: both pay Python's start-up and the canary (the instructor's solution
graded first). Prints each command's median seconds and their ratio (the goal: graders.batch.autograde within 1.2× of
nbgrader), and checks that both leave the same score in the gradebook.

Run from the repository root: .venv/bin/python -m bench.bench_regrade [ROUNDS]
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_autograde import ASSIGNMENT, ROOT, build_course
from graders.nbgrader.cli import run_nbgrader

STUDENT = "student001"


def score(course: Path) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission(ASSIGNMENT, STUDENT).score


def nbgrader_regrade(course: Path) -> None:
    run_nbgrader("autograde", ASSIGNMENT, "--student", STUDENT, "--force", cwd=course)


def graders_regrade(course: Path) -> None:
    subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--course", str(course), "--students",
                    STUDENT, "--no-progress"], env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
                   capture_output=True, text=True)


def main(rounds: int = 2) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        build_course(course, [None] * 3)
        run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
        first = score(course)
        seconds: dict[str, list[float]] = {"nbgrader autograde --student": [], "graders.batch.autograde --students": []}
        for _ in range(rounds):
            for (label, times), regrade in zip(seconds.items(), (nbgrader_regrade, graders_regrade)):
                start = time.perf_counter()
                regrade(course)
                times.append(time.perf_counter() - start)
                if score(course) != first:
                    raise SystemExit(f"{label} changed {STUDENT}'s score from {first} to {score(course)}")
    medians = {label: statistics.median(times) for label, times in seconds.items()}
    for label, times in seconds.items():
        print(f"{label:32s} median {medians[label]:6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    plain, ours = medians.values()
    print(f"ratio graders.batch.autograde / nbgrader: {ours / plain:.2f} (goal: at most 1.2); score {first} both ways")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
