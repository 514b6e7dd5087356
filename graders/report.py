"""The comparison's results as data: one row per student × task, misconception counts, CSV and JSON lines.

`results.jsonl` holds one StudentRun per line, code included; reports from several machines merge by
concatenating these files (graders/merge.py).
"""
from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from .checks import TASKS
from .diagnoses import DIAGNOSES
from .isolate import StudentRun

CSV_FIELDS = ("student", "task", "passed", "status", "points", "max_points", "max_abs_error", "max_rel_error",
              "diagnosis", "misconception", "runtime_s", "failing_case", "message")


def points(task: str, result: dict) -> int:
    """The task's points if its full check passed, else 0 (nbgrader's gradebook, cell by cell, is the record)."""
    return TASKS[task].points if result["passed"] else 0


def rows(runs: list[StudentRun]) -> list[dict]:
    """One flat row per student × task, in CSV_FIELDS order."""
    out = []
    for run in sorted(runs, key=lambda r: r.student):
        for task in TASKS:
            r = run.results[task]
            diagnosis = r.get("diagnosis")
            out.append({
                "student": run.student, "task": task, "passed": r["passed"], "status": r["status"],
                "points": points(task, r), "max_points": TASKS[task].points,
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


def write_csv(runs: list[StudentRun], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows(runs):
            writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})


def write_results(runs: list[StudentRun], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for run in runs:
            f.write(json.dumps(asdict(run), allow_nan=True) + "\n")


def read_results(path: Path) -> list[StudentRun]:
    with open(path, encoding="utf-8") as f:
        return [StudentRun(**json.loads(line)) for line in f if line.strip()]
