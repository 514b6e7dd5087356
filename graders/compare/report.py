"""The comparison's results as data: one row per student × assignment × task, points, totals, status and
misconception counts, CSV and JSON lines.

Every status stays apart (graders/engine/results.py): "not attempted" (the stub left in), "error" (raised something
else), "syntax error", "not graded" (the machinery's fault, never a score) and each kind of failure. CSV and JSON
keep the status keys; the page shows STATUS_LABELS.

`results.jsonl` holds one StudentRun per line, code included, for tools of the course's own (read_results).
"""
from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from ..engine.diagnoses import DIAGNOSES
from ..engine.judging import TaskSpec
from ..engine.results import StudentRun
from .grade import NOT_GRADED

CSV_FIELDS = ("student", "assignment", "task", "passed", "status", "points", "points_lost", "max_points",
              "max_abs_error", "max_rel_error", "diagnosis", "misconception", "runtime_s", "failing_case", "message")
# the page's words for each status key, in the order the page lists them
STATUS_LABELS = {"passed": "passed", "wrong": "wrong", "bad_output": "bad output", "error": "error",
                 "not_attempted": "not attempted", "syntax_error": "syntax error", "missing": "missing",
                 "timeout": "timeout", "memory": "memory", "exit": "exit", "integrity": "integrity",
                 "not_graded": "not graded"}


def status_label(status: str) -> str:
    """The page's words for a status key; an unknown key (from an older results.jsonl) as it is."""
    return STATUS_LABELS.get(status, status)


def points(spec: TaskSpec, result: dict) -> int:
    """The task's points, less any lost to a contract slip, if its check passed; else 0.

    Only a full-level check decides points (graders/compare/grade.py grades at --level full by default);
    nbgrader's gradebook, cell by cell, stays the record.
    """
    return max(0, spec.points - result.get("points_lost", 0)) if result["passed"] else 0


def total(run: StudentRun, tasks: dict[str, TaskSpec]) -> int:
    """The student's points on the assignment whose `tasks` `run` graded."""
    return sum(points(spec, run.results[t]) for t, spec in tasks.items())


def not_graded(run: StudentRun) -> bool:
    """Did the grading machinery, not the student, keep this run from being graded (graders/engine/faults.py)? Its total
    is then no score at all, never 0."""
    return any(r["status"] == NOT_GRADED for r in run.results.values())


def by_assignment(runs: list[StudentRun]) -> dict[str, list[StudentRun]]:
    """assignment -> its runs by student id, assignments in the order first met."""
    out: dict[str, list[StudentRun]] = {}
    for run in runs:
        out.setdefault(run.assignment, []).append(run)
    return {a: sorted(rs, key=lambda r: r.student) for a, rs in out.items()}


def rows(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> list[dict]:
    """One flat row per student × task of one assignment's `runs`, in CSV_FIELDS order."""
    out = []
    for run in sorted(runs, key=lambda r: r.student):
        for task, spec in tasks.items():
            r = run.results[task]
            diagnosis = r.get("diagnosis")
            out.append({
                "student": run.student, "assignment": run.assignment, "task": task, "passed": r["passed"],
                "status": r["status"],
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


def write_csv(course: dict[str, tuple[list[StudentRun], dict[str, TaskSpec]]], path: Path) -> None:
    """report.csv: every assignment's rows; course: assignment -> (its runs, its tasks)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for runs, tasks in course.values():
            for row in rows(runs, tasks):
                writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})


def write_results(runs: list[StudentRun], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for run in runs:
            f.write(json.dumps(asdict(run), allow_nan=True) + "\n")


def read_results(path: Path) -> list[StudentRun]:
    with open(path, encoding="utf-8") as f:
        return [StudentRun(**json.loads(line)) for line in f if line.strip()]

