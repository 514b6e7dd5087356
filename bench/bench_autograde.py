"""Benchmark: what confinement costs nbgrader autograde, per submission (prints numbers).

Builds two temporary copies of the course with the same N submissions (the instructor's solution and the planted
mistakes of tests/graders/submissions/ddpm_core/ that do not loop or time out, in turn) and autogrades each in one
`nbgrader autograde` call:
- confined: the course's own nbgrader_config.py (a confined kernel for the feedback, and the grade from a confined
  grading worker judged by the engine, graders/nbgrader/grade.py);
- in-kernel: the same config with nbgrader's stock autograde steps, so the grade comes from the test cells running
  the checks inside an unconfined kernel (how grading worked before the engine moved out of the kernel).
Then starts and stops N bare Python kernels (start, run `pass`, shut down), the floor. Prints the times and ratios.

Run from the repository root: .venv/bin/python -m bench.bench_autograde [N]   (default N = 20)
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

from graders.nbgrader.cli import run_nbgrader

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ddpm_core"
SLOW_STATUSES = ("timeout", "missing")  # planted files that deliberately burn a time limit


def planted(slow: bool) -> list[dict[str, str]]:
    """{task: cell source} of every planted file of tests/graders/submissions/ddpm_core/: those that burn a time limit only
    if `slow`, the others only if not."""
    out = []
    for path in sorted((ROOT / "tests" / "graders" / "submissions" / "ddpm_core").glob("*.py")):
        source = path.read_text()
        expect = re.search(r"^# expect(?:-status)?: (\w+)", source, re.M).group(1)
        if (expect in SLOW_STATUSES) == slow:
            out.append({re.search(r"^# task: (\w+)", source, re.M).group(1): source})
    return out


def submissions(n: int) -> list[dict[str, str] | None]:
    """n cell-replacement maps: None is the instructor's solution, else {task: planted cell source}."""
    pool = [None] + planted(slow=False)
    return [pool[i % len(pool)] for i in range(n)]


STOCK_STEPS = """
from nbgrader.preprocessors import Execute
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
"""


def build_course(course: Path, replacements: list[dict[str, str] | None], in_kernel: bool = False) -> None:
    """A copy of the course in `course`, generated, with one submission per entry of `replacements` (student00 …)."""
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    if in_kernel:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(STOCK_STEPS)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    run_nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        ln for ln in c.source.splitlines() if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln)
        for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for i, replace in enumerate(replacements):
        nb = nbformat.from_dict(release)
        cells = {**solutions, **(replace or {})}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in cells:
                cell.source = cells[grade_id]
        folder = course / "submitted" / f"student{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def autograde_seconds(n: int, course: Path, in_kernel: bool = False) -> float:
    build_course(course, submissions(n), in_kernel)
    start = time.perf_counter()
    run_nbgrader("autograde", ASSIGNMENT, "--create", cwd=course)
    return time.perf_counter() - start


def kernel_seconds(n: int) -> float:
    """Start a python3 kernel, run `pass`, shut it down; n times in a row."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    for _ in range(n):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(env=env, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive("pass", timeout=120, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return time.perf_counter() - start


def main(n: int = 20) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        in_kernel = autograde_seconds(n, Path(tmp), in_kernel=True) / n
    with tempfile.TemporaryDirectory() as tmp:
        confined = autograde_seconds(n, Path(tmp)) / n
    bare = kernel_seconds(n) / n
    print(f"autograde ddpm_core, {n} submissions in one call, per submission:")
    print(f"  in-kernel checks, unconfined (nbgrader's stock steps): {in_kernel:.2f} s")
    print(f"  confined kernel + confined grading worker (ours):      {confined:.2f} s")
    print(f"  bare kernel (start, `pass`, shut down), the floor:     {bare:.2f} s")
    print(f"ratio confined / in-kernel: {confined / in_kernel:.2f}x (goal: under 2x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
