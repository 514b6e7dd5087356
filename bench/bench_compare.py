"""How long the TA comparison takes: per submission and for a whole class, serial (--jobs 1) and parallel.

    python -m bench.bench_compare [--copies 1] [--jobs N]

Builds a class from tests/support/compare_class.py without its hostile, broken and robustness students (their time limits
would dominate): the five correct styles, the near-copy pair and every planted mistake in tests/graders/submissions/ddpm_core/
except the robust__ ones; --copies repeats it. Prints the load average, the first student alone (which also probes
bubblewrap and writes the worker's files once per run), then wall time and seconds per submission at --jobs 1 and
at --jobs N, the speed-up, and for comparison the checks alone, in this process, on the instructor's solution.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from graders.compare import find_submissions, grade_class
from graders.sandbox.confine import isolation_problem

ROOT = Path(__file__).resolve().parents[1]


def build(submitted: Path, copies: int) -> int:
    """Write the class under `submitted`; returns how many students."""
    from compare_class import build_class

    n = 0
    for copy in range(copies):
        part = submitted.parent / f"copy{copy}"
        expected = build_class(part, submitted.parent / "report")
        for student in expected:
            if student.startswith(("hostile-", "robust-", "broken-")):
                continue
            (part / student).rename(submitted / f"{student}-{copy}")
            n += 1
    return n


def checks_in_process() -> float:
    """Seconds for run_checks on the instructor's solution, unconfined, in this process: the floor for one
    submission."""
    import torch

    from compare_class import solutions
    from graders.student.checks import run_checks

    namespace = {"torch": torch}
    for source in solutions().values():
        exec(source, namespace)
    run_checks(namespace)  # warm-up
    start = time.perf_counter()
    run_checks(namespace)
    return time.perf_counter() - start


def timed(submissions, jobs: int) -> tuple[float, list]:
    start = time.perf_counter()
    runs = grade_class(submissions, jobs=jobs, progress=False)
    return time.perf_counter() - start, runs


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--copies", type=int, default=1, help="how many times to repeat the class (default: 1)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel jobs to compare with 1")
    args = p.parse_args()
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "support")]  # the class builder lives with the tests
    print(f"load average {load()}; confinement: {isolation_problem() or 'bubblewrap'}")
    with tempfile.TemporaryDirectory() as tmp:
        submitted = Path(tmp) / "submitted"
        submitted.mkdir()
        n = build(submitted, args.copies)
        submissions = find_submissions(submitted, "ddpm_core")
        start = time.perf_counter()
        grade_class(submissions[:1], jobs=1, progress=False)
        print(f"first student alone (bubblewrap probe, worker files, one worker): "
              f"{time.perf_counter() - start:.1f} s")
        print(f"checks alone, in process, instructor's solution: {checks_in_process():.2f} s")
        serial, runs = timed(submissions, 1)
        per_student = sum(r.runtime_s for r in runs) / n
        workers = sum(r.processes for r in runs)
        print(f"--jobs 1:  {n} students in {serial:.1f} s, {serial / n:.2f} s per submission "
              f"(each student's workers: {per_student:.2f} s on average; {workers} worker processes); "
              f"load average {load()}")
        parallel, _ = timed(submissions, args.jobs)
        print(f"--jobs {args.jobs}:  {n} students in {parallel:.1f} s, {parallel / n:.2f} s per submission; "
              f"speed-up {serial / parallel:.2f}× on {os.cpu_count()} cores; load average {load()}")


if __name__ == "__main__":
    main()
