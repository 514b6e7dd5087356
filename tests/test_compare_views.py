"""Do the pytest view, sharding and merging show the same verdicts as the report, on a class of three; and does
grading without the sandbox say so loudly?"""
from __future__ import annotations

import csv
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from compare_class import planted, solutions, write_notebook
from graders import confine, runner
from graders.compare import Submission, grade_class
from graders.compare import main as compare
from graders.compare.merge import main as merge
from graders.compare.report import read_results
from graders.confine import NOT_ISOLATED
from graders.diagnoses import DIAGNOSES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """ada (correct), bob (alpha_bar[t-1] in q_sample), cy (σ² = β̃ in sample_loop)."""
    submitted = tmp_path_factory.mktemp("course") / "submitted"
    base, mistakes = solutions(), planted()
    write_notebook(submitted, "ada", base)
    for student, key in (("bob", "q_sample-alpha_bar_wrap"), ("cy", "sample_loop-sigma_tilde")):
        task, source, _ = mistakes[key]
        write_notebook(submitted, student, {**base, task: source})
    return submitted


def run_pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "tests/test_submissions.py", "-p", "no:cacheprovider",
                           "-ra", "-q", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_pytest_view_lists_student_by_task(small_class):
    """Does `pytest --submissions` pass 10 and fail 2 tests, naming each mistake in its failure?"""
    proc = run_pytest("--submissions", str(small_class), "--submissions-jobs", "2")
    assert "2 failed, 10 passed" in proc.stdout, proc.stdout[-3000:]
    assert "FAILED tests/test_submissions.py::test_submission[bob::q_sample]" in proc.stdout
    assert "FAILED tests/test_submissions.py::test_submission[cy::sample_loop]" in proc.stdout
    assert DIAGNOSES["alpha_bar_wrap"].sentence in proc.stdout
    assert DIAGNOSES["sigma_tilde"].sentence in proc.stdout


def test_pytest_view_skips_without_submissions():
    """Without --submissions, is the one test skipped with a reason that says so?"""
    proc = run_pytest()
    assert proc.returncode == 0 and "1 skipped" in proc.stdout
    assert "no --submissions DIR given" in proc.stdout


def verdicts(report: Path) -> dict[tuple[str, str], str]:
    with open(report / "report.csv", newline="") as f:
        return {(r["student"], r["task"]): f"{r['status']}:{r['diagnosis']}" for r in csv.DictReader(f)}


def test_shards_merge_into_the_single_machine_report(small_class, tmp_path):
    """Do two shards, merged, give the same CSV verdicts as one run over the whole class?"""
    assert compare([str(small_class), "--out", str(tmp_path / "all"), "--jobs", "2", "--no-progress"]) == 0
    for k in (1, 2):
        assert compare([str(small_class), "--out", str(tmp_path / f"part{k}"), "--shard", f"{k}/2", "--jobs", "1",
                        "--no-progress"]) == 0
    parts = [str(tmp_path / f"part{k}" / "results.jsonl") for k in (1, 2)]
    assert merge([*parts, "--out", str(tmp_path / "merged")]) == 0
    whole, merged = verdicts(tmp_path / "all"), verdicts(tmp_path / "merged")
    assert len(whole) == 12 and merged == whole
    assert whole[("bob", "q_sample")] == "wrong:alpha_bar_wrap" and whole[("ada", "eps_loss")] == "passed:"


def test_an_empty_shard_writes_an_empty_part(small_class, tmp_path):
    """With more shards than students, does an empty shard still exit 0 with an empty results.jsonl?"""
    assert compare([str(small_class), "--out", str(tmp_path / "p"), "--shard", "4/4", "--no-progress"]) == 0
    assert (tmp_path / "p" / "results.jsonl").read_text() == ""


def test_merge_refuses_a_student_twice(small_class, tmp_path, capsys):
    """Does merging the same part twice exit 2, naming the duplicated student?"""
    assert compare([str(small_class), "--out", str(tmp_path / "p"), "--shard", "1/3", "--no-progress"]) == 0
    part = str(tmp_path / "p" / "results.jsonl")
    assert merge([part, part, "--out", str(tmp_path / "m")]) == 2
    assert "ada appears in more than one part" in capsys.readouterr().err


def test_unreadable_notebook_fails_every_task(tmp_path):
    """Is a submission whose file is not a notebook graded as missing on every task, with a note saying why?"""
    bad = tmp_path / "broken.ipynb"
    bad.write_text("not a notebook")
    (run,) = grade_class([Submission("dee", bad)], progress=False)
    assert {r["status"] for r in run.results.values()} == {"missing"}
    assert run.processes == 0 and "is not a readable notebook" in run.notes[0]


def test_unconfined_grading_is_flagged_loudly(small_class, tmp_path, monkeypatch, capsys):
    """Where bubblewrap cannot confine the code, does the command still grade, print NOT_ISOLATED on stderr at its
    start and at its end, record why in results.jsonl, and open report.html with a red banner saying so?"""
    why = "bubblewrap (bwrap) is not installed"
    monkeypatch.setattr(confine, "isolation_problem", lambda: why)  # what sandbox() and the command consult
    monkeypatch.setattr(runner, "isolation_problem", lambda: why)  # what grade_cells records
    out = tmp_path / "report"
    assert compare([str(small_class), "--out", str(out), "--shard", "1/3", "--jobs", "1", "--no-progress"]) == 0
    warning = NOT_ISOLATED.format(why=why)
    assert capsys.readouterr().err.count(warning) == 2
    (run,) = read_results(out / "results.jsonl")
    assert run.student == "ada" and run.not_isolated == why
    assert all(r["passed"] for r in run.results.values())
    page = (out / "report.html").read_text()
    assert page.index('<div class="not-isolated">') < page.index("<h1>")
    assert escape(warning) in page and "(1 of 1 students graded this way.)" in page
