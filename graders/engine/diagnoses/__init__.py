"""Known WRONG formulas, each with the misconception behind it in one plain sentence; one module per assignment,
as in graders/engine/tasks/.

A check that finds a student's output off compares it with every wrong formula of its task; the one it matches
names the mistake in the feedback. Nothing here is correct math: the truth is `reference/`.

    DIAGNOSES: key -> Diagnosis       (keys are shared across assignments: `missing_sqrt` is one misconception)
    WRONG: task -> key -> [wrong formula, …]
"""
from __future__ import annotations

from typing import Callable

from . import ddpm_beyond, ddpm_core
from .base import Diagnosis

DIAGNOSES: dict[str, Diagnosis] = {**ddpm_core.DIAGNOSES, **ddpm_beyond.DIAGNOSES}
WRONG: dict[str, dict[str, list[Callable]]] = {**ddpm_core.WRONG, **ddpm_beyond.WRONG}
assert len(DIAGNOSES) == len(ddpm_core.DIAGNOSES) + len(ddpm_beyond.DIAGNOSES), "a diagnosis key is defined twice"
__all__ = ["DIAGNOSES", "WRONG", "Diagnosis"]
