"""The result of checking one task: plain data that the notebook cell raises, nbgrader records, and the TA tool reads."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


class CheckFailed(AssertionError):
    """Raised by CheckResult.raise_if_failed; its message is the whole explanation."""


@dataclass
class CheckResult:
    """The outcome of one check, as plain data (see to_dict).

    status: "passed", "wrong" (ran, wrong numbers), "error" (raised), "not_attempted" (raised NotImplementedError on its
    first case: the release's stub), "timeout", "memory", "exit", "bad_output" (not a tensor, or wrong shape, dtype or
    device, or NaN), "integrity", "missing" (no such function), "syntax_error" (missing because the cell defining it
    does not parse); the TA tool adds "not_graded" (a fault of the grading machinery, graders/engine/faults.py).
    points_lost: points a passed check still costs: SLIP_COST (1) for contract slips (a promoted dtype, a NumPy array,
    an input changed in place, numbers right to float32 only for float64 inputs), DEGENERATE_COST (2) for a failure
    confined to a documented degenerate case such as T = 1 (graders/engine/judging.py).
    """

    task: str
    level: str
    passed: bool
    status: str
    message: str
    max_abs_error: float = math.nan
    max_rel_error: float = math.nan
    tolerance: float = math.nan
    diagnosis: str | None = None  # a key of graders.engine.diagnoses.DIAGNOSES
    failing_case: str | None = None
    cases_run: int = 0
    cases_failed: int = 0
    runtime_s: float = 0.0
    points_lost: int = 0
    notes: list[str] = field(default_factory=list)

    def raise_if_failed(self) -> None:
        """Raise CheckFailed with the message unless the check passed; print the one-line summary if it did."""
        __tracebackhide__ = True  # IPython and pytest leave this frame out of the traceback students see
        if not self.passed:
            raise CheckFailed(self.message)
        print(self.message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StudentRun:
    """One student's grading for the TA tool (graders/compare/): a CheckResult dict per task, the code, notes, timings.

    results: task -> CheckResult.to_dict() at the graded level; solution_cells: grade_id -> source, for the
    similarity review; not_isolated: why this student's code ran unconfined (graders/sandbox/confine.py), if it did;
    assignment: which assignment's tasks `results` holds, for a report across a course.
    """

    student: str
    notebook: str
    assignment: str
    results: dict[str, dict] = field(default_factory=dict)
    solution_cells: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    processes: int = 0
    runtime_s: float = 0.0
    not_isolated: str | None = None
