"""Benchmark: a class autograded by plain `nbgrader autograde` against graders.batch.autograde on Dask (prints numbers).

Builds a synthetic class of N submissions (default 200) in a temporary copy of the course: 60 % the instructor's
solution, 30 % a planted mistake, 10 % hostile (the planted files that burn a time limit: endless loops, a
syntax error), mixed in a fixed order. Grades it three times from scratch, each into a fresh gradebook:
- serial: one `nbgrader autograde ddpm_core --create` call (nbgrader grades one notebook after another);
- `python -m graders.batch.autograde ddpm_core --workers 1`: the same work as one Dask task per student;
- `python -m graders.batch.autograde ddpm_core --workers 2`.
Prints seconds per student, the speed-up over serial, the Dask overhead per student at 1 worker, and a projection
for 1,000 and 10,000 students on W workers. Model: time ≈ start-up + N · s / (W · e), with s the measured
per-student seconds at 1 worker, and e the parallel efficiency measured at 2 workers (assumed to hold at W: each
worker needs its own core and memory, and the gradebook must keep up; PostgreSQL beyond one machine).
Also prints how many cores the machine kept busy in each run (from /proc/stat: run it on an otherwise idle
machine): serial nbgrader already runs each student's kernel and grading worker at once, which caps the speed-up
of W workers on C cores at C / (cores serial keeps busy). Checks that the three gradebooks agree student by student.

Run from the repository root: .venv/bin/python -m bench.bench_autograde_dask [N]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_autograde import ASSIGNMENT, ROOT, build_course, planted
from graders.nbgrader.cli import run_nbgrader


def class_of(n: int) -> list[dict[str, str] | None]:
    """N cell-replacement maps in a fixed order: in each 10, six correct, three planted mistakes, one hostile."""
    wrong, hostile = planted(slow=False), planted(slow=True)
    out: list[dict[str, str] | None] = []
    for i in range(n):
        k = i % 10
        out.append(None if k < 6 else wrong[(i // 10 * 3 + k - 6) % len(wrong)] if k < 9 else hostile[(i // 10) % len(hostile)])
    return out


def scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.id: gb.find_submission(ASSIGNMENT, s.id).score for s in gb.students}


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat, in clock ticks over all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)  # idle and iowait are not busy


def timed(course: Path, workers: int | None) -> tuple[float, float]:
    """(seconds, cores kept busy on average) to autograde the course serially or on `workers` Dask workers."""
    busy, total = busy_jiffies()
    start = time.perf_counter()
    if workers is None:
        run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
    else:
        proc = subprocess.run([sys.executable, "-m", "graders.batch.autograde", ASSIGNMENT, "--course", str(course),
                               "--workers", str(workers), "--no-progress"], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"graders.batch.autograde failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    seconds = time.perf_counter() - start
    busy_after, total_after = busy_jiffies()
    return seconds, os.cpu_count() * (busy_after - busy) / (total_after - total)


def main(n: int = 200) -> None:
    replacements = class_of(n)
    seconds, cores, graded = {}, {}, {}
    for label, workers in (("serial nbgrader autograde", None), ("graders.batch.autograde, 1 worker", 1),
                           ("graders.batch.autograde, 2 workers", 2)):
        with tempfile.TemporaryDirectory() as tmp:
            build_course(Path(tmp), replacements)
            seconds[label], cores[label] = timed(Path(tmp), workers)
            graded[label] = scores(Path(tmp))
        print(f"{label:30s} {seconds[label]:8.1f} s   {seconds[label] / n:6.2f} s/student   "
              f"{cores[label]:.2f} of {os.cpu_count()} cores busy on average", flush=True)
    serial, one, two = seconds.values()
    reference = graded["serial nbgrader autograde"]
    agree = all(g == reference for g in graded.values())
    print(f"\n{n} students (60 % correct, 30 % planted mistakes, 10 % hostile); gradebooks agree: {agree}")
    print(f"speed-up over serial: 1 worker {serial / one:.2f}x, 2 workers {serial / two:.2f}x (goal: ≥ 1.8x)")
    print(f"Dask overhead per student at 1 worker: {100 * (one / serial - 1):+.1f} % (goal: ≤ 10 %)")
    per_student, efficiency = one / n, one / (2 * two)
    print(f"parallel efficiency at 2 workers: {efficiency:.2f}; serial nbgrader already keeps "
          f"{cores['serial nbgrader autograde']:.2f} cores busy (each student's kernel and grading worker run at once), "
          f"so {os.cpu_count()} cores allow at most {os.cpu_count() / cores['serial nbgrader autograde']:.2f}x")
    for students in (1_000, 10_000):
        row = ", ".join(f"{w} workers {students * per_student / (w * efficiency) / 60:.1f} min" for w in (16, 64, 256))
        print(f"projection, {students} students: serial {students * serial / n / 3600:.1f} h; {row}")
    if not agree:
        sys.exit("the gradebooks disagree")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
