"""The real nbgrader command line, run from Python: the release builder, the benchmarks and the tests use it.

    run_nbgrader("generate_assignment", "ddpm_core", "--force", cwd=course)
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_nbgrader(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float | None = None,
                 check: bool = True) -> subprocess.CompletedProcess:
    """`python -m nbgrader ARGS` in the course folder `cwd`, with this venv's tools first on PATH (nbgrader runs
    `jupyter` and `alembic` from it), the repository importable, and `env` on top; with check, a failure raises
    RuntimeError carrying the end of nbgrader's output."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": path, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                           f"{proc.stderr[-3000:]}")
    return proc
