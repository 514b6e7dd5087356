"""Does `python -m graders.compare` grade a whole class right, side by side, whatever some students' code does?

Builds a class of submitted notebooks of both assignments (tests/support/compare_class.py: correct styles, every planted
mistake, broken and hostile code, a near-copy), runs the real command once over both on two cores, and reads its CSV,
HTML and results. Student ids are unique across the assignments, so a student's run says which one it is.
About five to seven minutes on two busy cores (the hostile students sit out their time limits in parallel; each of
ddpm_beyond's 13 students takes about three ddpm_core students' time); marked slow.
"""
from __future__ import annotations

import csv
import hashlib
import html
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from compare_class import ASSIGNMENT, TASKS, VICTIM, build_class, forger_marker
from graders.compare.report import read_results
from graders.compare.similarity import review
from graders.sandbox.confine import isolation_problem
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import ASSIGNMENTS, tasks_of

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation_problem() is not None,
                                 reason=f"the hostile students need the sandbox: {isolation_problem()}")]


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
    proc = subprocess.run([sys.executable, "-m", "graders.compare", str(submitted), "--out", str(out), "--jobs", "2",
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    print(f"graders.compare: {len(expected)} students in {seconds:.0f} s on 2 jobs")
    runs = {r.student: r for r in read_results(out / "results.jsonl")} if proc.returncode == 0 else {}
    return {"expected": expected, "proc": proc, "runs": runs, "out": out, "submitted": submitted,
            "before": before, "seconds": seconds, "course": course}


def test_command_finishes_and_summarises(compared):
    """Does the command exit 0 and print how many checks passed, with every student in the results, confined?"""
    proc = compared["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{len(compared['expected'])} students" in proc.stdout
    assert set(compared["runs"]) == set(compared["expected"])
    assert {run.assignment for run in compared["runs"].values()} == set(ASSIGNMENTS)
    assert len(compared["expected"]) >= 30
    assert "NOT ISOLATED" not in proc.stderr
    assert all(run.not_isolated is None for run in compared["runs"].values())


def test_every_cell_of_the_matrix(compared):
    """Does every student × task grade as planted: pass (less any slip), the expected failure status and diagnosis?"""
    mismatches = []
    for student, tasks in compared["expected"].items():
        for task, want in tasks.items():
            got = compared["runs"][student].results[task]
            if want.passed is None:  # calls a planted function: passes, or fails blaming that function
                if got["diagnosis"] != want.diagnosis if not got["passed"] else got["points_lost"]:
                    mismatches.append(f"{student} · {task}: expected a pass or {want.diagnosis}, got {got['status']} "
                                      f"({got['diagnosis']}): {got['message'][:300]}")
            elif (got["passed"] != want.passed or (want.status and got["status"] != want.status)
                    or (want.diagnosis and got["diagnosis"] != want.diagnosis)
                    or (want.passed and got["points_lost"] != want.points_lost)):
                mismatches.append(f"{student} · {task}: expected {want}, got {got['status']} "
                                  f"({got['diagnosis']}, {got['points_lost']} lost): {got['message'][:300]}")
    assert not mismatches, "\n".join(mismatches)


def test_errors_measured_against_the_reference(compared):
    """Are passing cells within tolerance of the reference, and wrong cells measurably off or caught by the spy?"""
    for student, run in compared["runs"].items():
        for task, r in run.results.items():
            if r["passed"]:  # absolute too where outputs are of order one (not ddpm_beyond's KL sums and x̂0)
                assert r["max_rel_error"] <= 1e-3, (student, task)
                assert r["max_abs_error"] <= 1e-3 or run.assignment != ASSIGNMENT, (student, task)
            elif r["status"] == "wrong":
                caught_by_spy = "the model was called" in r["message"]
                assert r["max_abs_error"] > r["tolerance"] or caught_by_spy, (student, task)
            assert r["runtime_s"] >= 0, (student, task)


def test_csv_has_one_row_per_student_and_task(compared):
    """Does report.csv hold every student × task with the same verdict, points (less slips) and misconception?"""
    with open(compared["out"] / "report.csv", newline="") as f:
        rows = {(row["student"], row["task"]): row for row in csv.DictReader(f)}
    assert len(rows) == sum(len(tasks) for tasks in compared["expected"].values())
    for (student, task), row in rows.items():
        run = compared["runs"][student]
        r = run.results[task]
        assert row["assignment"] == run.assignment, (student, task)
        assert row["passed"] == str(r["passed"]) and row["status"] == r["status"], (student, task)
        points = tasks_of(run.assignment)[task].points
        assert int(row["points"]) == (points - r["points_lost"] if r["passed"] else 0), (student, task)
        assert int(row["points_lost"]) == r["points_lost"], (student, task)
        assert row["misconception"] == (DIAGNOSES[r["diagnosis"]].sentence if r["diagnosis"] else ""), (student, task)
    slipped = rows[("robust-wrong_dtype", "posterior_mean")]
    assert (slipped["passed"], slipped["points"], slipped["points_lost"]) == \
        ("True", str(TASKS["posterior_mean"].points - 1), "1")


def test_html_is_self_contained_and_complete(compared):
    """Does report.html stand alone and show every student, every diagnosed sentence, the slip and the copy cluster?"""
    page = (compared["out"] / "report.html").read_text()
    assert page.count("<script") == page.count("<script>") == 1  # the one inline script, nothing loaded
    assert "http://" not in page and "https://" not in page
    assert 'class="not-isolated"' not in page
    for student, run in compared["runs"].items():
        assert f'id="s-{run.assignment}-{student}"' in page, student
    for run in compared["runs"].values():
        for r in run.results.values():
            if r["diagnosis"]:
                assert html.escape(DIAGNOSES[r["diagnosis"]].sentence) in page
    assert "✓ passed, −1 pt" in page
    assert "table, table-copy" in page


def test_misconceptions_counted_over_the_class(compared):
    """Does the class count of each (task, misconception) equal the number of students planted with it?"""
    planted = Counter((task, want.diagnosis) for tasks in compared["expected"].values()
                      for task, want in tasks.items() if want.diagnosis and want.passed is not None)
    counted = Counter((task, r["diagnosis"]) for student, run in compared["runs"].items()
                      for task, r in run.results.items()
                      if r["diagnosis"] and compared["expected"][student][task].passed is not None)
    assert planted and counted == planted


def test_near_copy_clusters_and_independent_solutions_do_not(compared):
    """Is the renamed copy the one cluster of ddpm_core, with the five independent correct students in none?"""
    found = review({s: r.solution_cells for s, r in compared["runs"].items() if r.assignment == ASSIGNMENT})
    assert found.clusters == [["table", "table-copy"]]
    assert found.pairs[0].similarity == pytest.approx(1.0)


def test_hostile_students_touch_no_other_files(compared):
    """Are every submitted file and the report exactly as the grader left them, after writes were attempted?"""
    assert tree_digest(compared["submitted"]) == compared["before"]
    assert sorted(p.name for p in compared["out"].iterdir()) == ["report.csv", "report.html", "results.jsonl"]
    page = (compared["out"] / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "<h2>Student × task</h2>" in page


def test_hostile_calls_fail_inside_the_sandbox(compared):
    """Does each write, read, fork bomb and signal fail there with the system's own error, costing only its task?"""
    runs = compared["runs"]
    refused = {"hostile-write_victim": "FileNotFoundError",  # the victim's folder is not in the sandbox
               "hostile-read_victim": "FileNotFoundError",
               "hostile-fork_loop": "BlockingIOError",  # RLIMIT_NPROC: 64 processes for the sandbox's user
               "hostile-kill_parent": "PermissionError",  # its parent is the sandbox's init, another user's
               "broken-name_error": "NameError"}
    for student, error in refused.items():
        failed = [r for r in runs[student].results.values() if not r["passed"]]
        assert len(failed) == 1 and f"raised {error}" in failed[0]["message"], (student, failed[0]["message"])
    (spawned,) = [r for r in runs["hostile-subprocess"].results.values() if not r["passed"]]
    assert spawned["status"] == "timeout" and "did not return within 5 s" in spawned["message"]
    assert all(r["passed"] for r in runs[VICTIM].results.values())


def test_a_killed_process_costs_one_task_and_restarts(compared):
    """After posix._exit kills its process mid-check, are the student's other three tasks still graded?"""
    run = compared["runs"]["hostile-posix_exit"]
    assert run.processes == 2
    assert run.results["q_sample"]["status"] == "exit" and "exit code 7" in run.results["q_sample"]["message"]
    assert all(run.results[t]["passed"] for t in TASKS if t != "q_sample")


def test_a_task_that_ignores_its_alarm_is_killed_from_outside(compared):
    """When a function turns off the worker's own time limit and loops, does the grader kill it at the task
    timeout, mark that task timeout, and grade the other three in a fresh process?"""
    run = compared["runs"]["hostile-deaf"]
    assert run.results["posterior_mean"]["status"] == "timeout"
    assert "no result within 40 s" in run.results["posterior_mean"]["message"]
    assert run.processes == 2
    assert all(run.results[t]["passed"] for t in TASKS if t != "posterior_mean")


def test_a_forged_pickle_and_reply_run_nothing_in_the_grader(compared):
    """When a function writes a pickle that would run a shell command, and a forged reply, down the grader's pipe,
    is the grader untouched, the task marked error, and the other tasks graded in a fresh process?"""
    run = compared["runs"]["hostile-forger"]
    assert not forger_marker(compared["out"]).exists()
    assert run.results["q_sample"]["status"] == "error"
    assert "out of protocol" in run.results["q_sample"]["message"]
    assert run.processes == 2
    assert all(run.results[t]["passed"] for t in TASKS if t != "q_sample")


def test_top_level_code_is_contained(compared):
    """Does a cell whose top level writes a victim's file, allocates 80 GB, loops forever and exits twice have each
    of those statements stopped and noted, and still yield its working function?"""
    run = compared["runs"]["hostile-top_level"]
    assert all(r["passed"] for r in run.results.values())
    notes = "\n".join(run.notes)
    assert "skipped (error): FileNotFoundError" in notes
    assert "skipped (memory): MemoryError" in notes
    assert "skipped (timeout)" in notes
    assert notes.count("skipped (exit)") == 2


def test_the_lab_s_own_code_is_flagged_though_absent_from_the_sandbox(compared):
    """Does a cell importing from `reference` at its top level (absent in the sandbox) still score its task as
    `integrity`, naming what it imported, and cost that task only?"""
    run = compared["runs"]["robust-integrity_import"]
    assert run.results["q_sample"]["status"] == "integrity", run.results["q_sample"]["message"]
    assert "reference" in run.results["q_sample"]["message"]
    assert [t for t, r in run.results.items() if not r["passed"]] == ["q_sample"]
