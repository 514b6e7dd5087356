"""Does `python -m graders.compare` grade a whole class right, side by side, whatever some students' code does?

Builds a class of submitted notebooks (tests/compare_class.py: correct styles, every planted mistake, broken and
hostile code, a near-copy), runs the real command once on two cores, and reads its CSV, HTML and results.
About a minute on two busy cores; marked slow.
"""
from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from compare_class import VICTIM, build_class
from graders.checks import TASKS
from graders.diagnoses import DIAGNOSES
from graders.report import read_results

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    submitted, out = course / "submitted", course / "report"
    expected = build_class(submitted, out)
    before = tree_digest(submitted)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "graders.compare", str(submitted), "--out", str(out), "--jobs", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    print(f"graders.compare: {len(expected)} students in {seconds:.0f} s on 2 jobs")
    runs = {r.student: r for r in read_results(out / "results.jsonl")} if proc.returncode == 0 else {}
    return {"expected": expected, "proc": proc, "runs": runs, "out": out, "submitted": submitted,
            "before": before, "seconds": seconds}


def test_command_finishes_and_summarises(compared):
    """Does the command exit 0 and print how many checks passed, with every student in the results?"""
    proc = compared["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{len(compared['expected'])} students" in proc.stdout
    assert set(compared["runs"]) == set(compared["expected"])
    assert len(compared["expected"]) >= 30


def test_every_cell_of_the_matrix(compared):
    """Does every student × task grade as planted: pass, the expected failure status, the expected diagnosis?"""
    mismatches = []
    for student, tasks in compared["expected"].items():
        for task, want in tasks.items():
            got = compared["runs"][student].results[task]
            if (got["passed"] != want.passed or (want.status and got["status"] != want.status)
                    or (want.diagnosis and got["diagnosis"] != want.diagnosis)):
                mismatches.append(f"{student} · {task}: expected {want}, got {got['status']} "
                                  f"({got['diagnosis']}): {got['message'][:300]}")
    assert not mismatches, "\n".join(mismatches)


def test_errors_measured_against_the_reference(compared):
    """Are passing cells within tolerance of the reference, and wrong cells measurably off or caught by the spy?"""
    for student, run in compared["runs"].items():
        for task, r in run.results.items():
            if r["passed"]:
                assert r["max_abs_error"] <= 1e-3 and r["max_rel_error"] <= 1e-3, (student, task)
            elif r["status"] == "wrong":
                caught_by_spy = "the model was called" in r["message"]
                assert r["max_abs_error"] > r["tolerance"] or caught_by_spy, (student, task)
            assert r["runtime_s"] >= 0, (student, task)


def test_csv_has_one_row_per_student_and_task(compared):
    """Does report.csv hold every student × task with the same verdict, points and misconception sentence?"""
    with open(compared["out"] / "report.csv", newline="") as f:
        rows = {(row["student"], row["task"]): row for row in csv.DictReader(f)}
    assert len(rows) == len(compared["expected"]) * len(TASKS)
    for (student, task), row in rows.items():
        r = compared["runs"][student].results[task]
        assert row["passed"] == str(r["passed"]) and row["status"] == r["status"], (student, task)
        assert int(row["points"]) == (TASKS[task].points if r["passed"] else 0), (student, task)
        assert row["misconception"] == (DIAGNOSES[r["diagnosis"]].sentence if r["diagnosis"] else ""), (student, task)


def test_html_is_self_contained_and_complete(compared):
    """Does report.html stand alone and show every student, every diagnosed sentence and the copy cluster?"""
    page = (compared["out"] / "report.html").read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for student in compared["expected"]:
        assert f'id="s-{student}"' in page, student
    for run in compared["runs"].values():
        for r in run.results.values():
            if r["diagnosis"]:
                assert DIAGNOSES[r["diagnosis"]].sentence.replace("'", "&#x27;") in page
    assert "table, table-copy" in page


def test_misconceptions_counted_over_the_class(compared):
    """Does the class count of each (task, misconception) equal the number of students planted with it?"""
    planted = Counter((task, want.diagnosis) for tasks in compared["expected"].values()
                      for task, want in tasks.items() if want.diagnosis)
    counted = Counter((task, r["diagnosis"]) for run in compared["runs"].values()
                      for task, r in run.results.items() if r["diagnosis"])
    assert planted and counted == planted


def test_near_copy_clusters_and_independent_solutions_do_not(compared):
    """Is the renamed copy the one cluster, with the five independent correct students in none?"""
    from graders.similarity import review

    found = review({s: r.solution_cells for s, r in compared["runs"].items()})
    assert found.clusters == [["table", "table-copy"]]
    assert found.pairs[0].similarity == pytest.approx(1.0)


def test_hostile_students_touch_no_other_files(compared):
    """Are every submitted file and the report exactly as the grader left them, after writes were attempted?"""
    assert tree_digest(compared["submitted"]) == compared["before"]
    assert sorted(p.name for p in compared["out"].iterdir()) == ["report.csv", "report.html", "results.jsonl"]
    page = (compared["out"] / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "<h2>Student × task</h2>" in page


def test_hostile_calls_are_refused_by_name(compared):
    """Does each refused write, read, fork, subprocess and signal say what was refused, costing only that task?"""
    runs = compared["runs"]
    refused = {"hostile-write_victim": "writing", "hostile-write_report": "writing",
               "hostile-read_victim": "reading", "hostile-fork_loop": "os.fork",
               "hostile-subprocess": "subprocess.Popen", "hostile-kill_parent": "os.kill"}
    for student, word in refused.items():
        failed = [r for r in runs[student].results.values() if not r["passed"]]
        assert len(failed) == 1 and f"not allowed while grading: {word}" in failed[0]["message"], student
    assert all(r["passed"] for r in runs[VICTIM].results.values())


def test_a_killed_process_costs_one_task_and_restarts(compared):
    """After posix._exit kills its process mid-check, are the student's other three tasks still graded?"""
    run = compared["runs"]["hostile-posix_exit"]
    assert run.processes == 2
    assert run.results["q_sample"]["status"] == "exit" and "exit code 7" in run.results["q_sample"]["message"]
    assert all(run.results[t]["passed"] for t in TASKS if t != "q_sample")


def test_top_level_code_never_runs(compared):
    """Does a cell whose top level loops forever, exits and allocates 80 GB still yield its working function?"""
    run = compared["runs"]["hostile-top_level"]
    assert all(r["passed"] for r in run.results.values())
    assert any("MemoryError" in note for note in run.notes)
    assert any("4 top-level statement(s) not run" in note for note in run.notes)
