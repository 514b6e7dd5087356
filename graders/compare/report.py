"""The comparison's results as data: one row per student × task, points, misconception counts, CSV and JSON lines.

`results.jsonl` holds one StudentRun per line, code included, for tools of the course's own (read_results).
"""
from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from ..diagnoses import DIAGNOSES
from ..engine import TaskSpec
from ..results import StudentRun

CSV_FIELDS = ("student", "task", "passed", "status", "points", "points_lost", "max_points", "max_abs_error",
              "max_rel_error", "diagnosis", "misconception", "runtime_s", "failing_case", "message")


def points(spec: TaskSpec, result: dict) -> int:
    """The task's points, less any lost to a contract slip, if its check passed; else 0.

    Only a full-level check decides points (graders/compare/grade.py grades at --level full by default);
    nbgrader's gradebook, cell by cell, stays the record.
    """
    return max(0, spec.points - result.get("points_lost", 0)) if result["passed"] else 0


def rows(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> list[dict]:
    """One flat row per student × task, in CSV_FIELDS order."""
    out = []
    for run in sorted(runs, key=lambda r: r.student):
        for task, spec in tasks.items():
            r = run.results[task]
            diagnosis = r.get("diagnosis")
            out.append({
                "student": run.student, "task": task, "passed": r["passed"], "status": r["status"],
                "points": points(spec, r), "points_lost": r.get("points_lost", 0), "max_points": spec.points,
                "max_abs_error": r["max_abs_error"], "max_rel_error": r["max_rel_error"],
                "diagnosis": diagnosis or "", "misconception": DIAGNOSES[diagnosis].sentence if diagnosis else "",
                "runtime_s": round(r["runtime_s"], 4), "failing_case": r.get("failing_case") or "",
                "message": r["message"],
            })
    return out


def misconception_counts(runs: list[StudentRun]) -> Counter:
    """(task, diagnosis key) -> how many students' results carry it."""
    return Counter((task, r["diagnosis"]) for run in runs for task, r in run.results.items() if r.get("diagnosis"))


def status_counts(runs: list[StudentRun]) -> Counter:
    """(task, status) -> how many students, for every status but passed."""
    return Counter((task, r["status"]) for run in runs for task, r in run.results.items() if not r["passed"])


def write_csv(runs: list[StudentRun], tasks: dict[str, TaskSpec], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows(runs, tasks):
            writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})


def write_results(runs: list[StudentRun], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for run in runs:
            f.write(json.dumps(asdict(run), allow_nan=True) + "\n")


def read_results(path: Path) -> list[StudentRun]:
    with open(path, encoding="utf-8") as f:
        return [StudentRun(**json.loads(line)) for line in f if line.strip()]

