"""The planted submissions of tests/graders/submissions/<assignment>/<task>__<mistake>.py (and the held-out mistakes
of tests/graders/heldout/, written apart from the catalogue in other styles), read from their headers:

    # task: q_sample                    the task the file's function answers
    # expect: missing_sqrt              the diagnosis key its feedback must name (or `# expect-status: wrong`, …)
    # points-lost: 1                    a passing file's contract slip
    # upstream-from: q_sample__…        the planted file whose wrong earlier function this file's right code calls
    # unit: skip (why)                  a file only the confined worker can run (an endless top-level loop)

Used by tests/graders/test_graders_checks.py, tests/graders/test_graders_diagnoses.py and bench/bench_diagnoses.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SUBMISSIONS = Path(__file__).resolve().parents[1] / "graders" / "submissions"
HELDOUT = Path(__file__).resolve().parents[1] / "graders" / "heldout"  # mistakes in other styles, for measuring only


@dataclass(frozen=True)
class Planted:
    path: Path
    assignment: str
    task: str
    expect: str  # a diagnosis key, or a status ("wrong": no known mistake matches)
    points_lost: int
    upstream: str | None
    confined_only: bool

    @property
    def stem(self) -> str:
        return self.path.stem


def _header(source: str, name: str) -> str | None:
    found = re.search(rf"^# {name}: (\w+)", source, re.M)
    return found.group(1) if found else None


def read(path: Path) -> Planted:
    source = path.read_text()
    lost = _header(source, "points-lost")
    return Planted(path, path.parent.name, _header(source, "task"),
                   _header(source, "expect") or _header(source, "expect-status"), int(lost) if lost else 0,
                   _header(source, "upstream-from"), "# unit: skip" in source)


def planted(assignment: str | None = None, folder: Path = SUBMISSIONS) -> list[Planted]:
    """Every planted file in `folder` (of `assignment`, or of all), sorted by assignment and name."""
    return [read(p) for p in sorted(folder.glob(f"{assignment or '*'}/*.py"))]


def load(p: Planted) -> Callable | None:
    """The planted file's task function, run after its upstream-from file (as the notebook's earlier cell would be)
    in one namespace; None if a file does not parse."""
    namespace = {"__name__": "student"}
    sources = ([p.path.with_name(f"{p.upstream}.py")] if p.upstream else []) + [p.path]
    try:
        for path in sources:
            exec(compile(path.read_text(), str(path), "exec"), namespace)
    except SyntaxError:
        return None
    return namespace.get(p.task)
