"""How often does the feedback name a student's mistake rightly, and does it ever tell a false story?

For each assignment and task, judged by the engine in this process at the full (hidden) level, as graders/student/checks.py
does (no nbgrader, no sandbox):

- catalogue: the planted files of tests/graders/submissions/ whose header names a known mistake (`# expect: key`,
  upstream blame included), and how many of them the feedback names with exactly that key;
- held out: the same for tests/graders/heldout/, mistakes written apart from the catalogue in other styles;
- misnamed: planted files given another key;
- untold: planted mistakes outside the catalogue (`# expect-status: wrong`) that were given a story anyway;
- fairness: the correct variants of tests/test_graders_fairness*.py (and the instructor's solution) diagnosed with
  any mistake, then the same variants with their output off by 1 % (a mistake no catalogue entry describes) given a
  story: both should be 0.

Run: .venv/bin/python -m bench.bench_diagnoses [--level full|sanity]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from graders.student.checks import run_check
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import ASSIGNMENTS

from .bench_fairness import variants

ROOT = Path(__file__).resolve().parents[1]
OFF_BY = 1.01  # the perturbed variants' factor: 1 % off, far past every tolerance, and no known mistake's


def _off(fn):
    """fn with its output 1 % too large."""
    return lambda *args: fn(*args) * OFF_BY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=("full", "sanity"), default="full")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "tests" / "support"), str(ROOT / "tests" / "graders")]  # the planted files' reader and the variants live with the tests
    from planted import HELDOUT, load, planted

    start = time.perf_counter()
    count: Counter = Counter()
    for p in planted(folder=HELDOUT):
        row = (p.assignment, p.task)
        count[row, "held_out"] += 1
        count[row, "held_out_named"] += run_check(p.task, load(p), args.level, p.assignment).diagnosis == p.expect
    for p in planted():
        if p.confined_only or p.expect not in DIAGNOSES and p.expect != "wrong":
            continue  # robustness cases and slips: statuses, not stories
        result = run_check(p.task, load(p), args.level, p.assignment)
        row = (p.assignment, p.task)
        if p.expect == "wrong":
            count[row, "uncatalogued"] += 1
            count[row, "untold"] += result.diagnosis is not None
        else:
            count[row, "catalogue"] += 1
            count[row, "named"] += result.diagnosis == p.expect
            count[row, "misnamed"] += result.diagnosis not in (None, p.expect)
    for v in variants():
        row = (v.assignment, v.task)
        count[row, "fairness"] += 1
        count[row, "misdiagnosed"] += run_check(v.task, v.fn, args.level, v.assignment).diagnosis is not None
        perturbed = run_check(v.task, _off(v.fn), args.level, v.assignment)
        count[row, "perturbed_told"] += perturbed.diagnosis is not None or perturbed.passed
    print(f"level {args.level}: {time.perf_counter() - start:.0f} s\n")
    print("| assignment | task | catalogue named | held out named | misnamed | uncatalogued given a story | "
          "fairness variants misdiagnosed | 1 %-off variants given a story |")
    print("|---|---|---|---|---|---|---|---|")
    for assignment, tasks in ASSIGNMENTS.items():
        for task in [*tasks, "all"]:
            rows = [(assignment, t) for t in tasks] if task == "all" else [(assignment, task)]
            n = {k: sum(count[r, k] for r in rows) for k in ("catalogue", "named", "held_out", "held_out_named",
                                                              "misnamed", "uncatalogued", "untold", "fairness",
                                                              "misdiagnosed", "perturbed_told")}
            share = n["named"] / n["catalogue"] if n["catalogue"] else float("nan")
            name = f"**{task}**" if task == "all" else task
            print(f"| {assignment} | {name} | {n['named']} of {n['catalogue']} ({share:.0%}) | "
                  f"{n['held_out_named']} of {n['held_out']} | {n['misnamed']} | "
                  f"{n['untold']} of {n['uncatalogued']} | {n['misdiagnosed']} of {n['fairness']} | "
                  f"{n['perturbed_told']} of {n['fairness']} |")


if __name__ == "__main__":
    main()
