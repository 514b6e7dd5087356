"""Does the pytest view show the same verdicts as the report, on a class of three; and does grading without the
sandbox say so loudly?"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from compare_class import planted, solutions, write_notebook
from graders.sandbox import confine
from graders.compare import main as compare
from graders.compare.report import read_results
from graders.sandbox.confine import NOT_ISOLATED
from graders.engine.diagnoses import DIAGNOSES

ROOT = Path(__file__).resolve().parents[2]


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
    return subprocess.run([sys.executable, "-m", "pytest", "tests/compare/test_submissions.py", "-p", "no:cacheprovider",
                           "-ra", "-q", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_pytest_view_lists_student_by_task(small_class):
    """Does `pytest --submissions` pass 10 and fail 2 tests, naming each mistake in its failure?"""
    proc = run_pytest("--submissions", str(small_class), "--submissions-jobs", "2")
    assert "2 failed, 10 passed" in proc.stdout, proc.stdout[-3000:]
    assert "FAILED tests/compare/test_submissions.py::test_submission[bob::q_sample]" in proc.stdout
    assert "FAILED tests/compare/test_submissions.py::test_submission[cy::sample_loop]" in proc.stdout
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


def test_unconfined_grading_is_flagged_loudly(tmp_path, monkeypatch, capsys):
    """Where bubblewrap cannot confine the code, does the command still grade, print NOT_ISOLATED on stderr at its
    start and at its end, record why in results.jsonl, and open report.html with a red banner saying so?"""
    missing = tmp_path / "no-bwrap"
    why = f"bubblewrap ({missing}) is not installed"
    monkeypatch.setenv("DDPM_LAB_BWRAP", str(missing))  # what the cluster's worker processes, started anew, read
    monkeypatch.setattr(confine, "isolation_problem", lambda: why)  # what this process, started before, consults
    write_notebook(tmp_path / "submitted", "ada", solutions())
    out = tmp_path / "report"
    assert compare([str(tmp_path / "submitted"), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    warning = NOT_ISOLATED.format(why=why)
    assert capsys.readouterr().err.count(warning) == 2
    (run,) = read_results(out / "results.jsonl")
    assert run.student == "ada" and run.not_isolated == why
    assert all(r["passed"] for r in run.results.values())
    page = (out / "report.html").read_text()
    assert page.index('<div class="not-isolated">') < page.index("<h1>")
    assert escape(warning) in page and "(1 of 1 students graded this way.)" in page


def test_compare_on_a_cluster_started_by_hand(small_class, tmp_path):
    """With `dask scheduler` and two `dask worker` processes started as the README says (elsewhere than the
    repository, finding it through PYTHONPATH), does --scheduler grade the class as planted?"""
    dask, env = str(Path(sys.executable).with_name("dask")), {**os.environ, "PYTHONPATH": str(ROOT)}
    address_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(address_file)], cwd=tmp_path, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers = None
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        workers = subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                   cwd=tmp_path, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert compare([str(small_class), "--out", str(tmp_path / "r"), "--scheduler", address, "--no-progress"]) == 0
    finally:
        for process in (workers, scheduler):
            if process is not None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    got = verdicts(tmp_path / "r")
    assert len(got) == 12
    assert got[("bob", "q_sample")] == "wrong:alpha_bar_wrap" and got[("cy", "sample_loop")] == "wrong:sigma_tilde"
    assert [v for k, v in got.items() if k not in {("bob", "q_sample"), ("cy", "sample_loop")}] == ["passed:"] * 10
