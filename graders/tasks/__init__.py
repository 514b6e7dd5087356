"""One task spec module per assignment; ASSIGNMENTS maps an assignment's name to its tasks, in notebook order."""
from __future__ import annotations

from ..engine import TaskSpec
from . import ddpm_core

ASSIGNMENTS: dict[str, dict[str, TaskSpec]] = {"ddpm_core": ddpm_core.TASKS}


def tasks_of(assignment: str) -> dict[str, TaskSpec]:
    """The tasks of `assignment`; raises ValueError naming the known ones for any other name."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    return ASSIGNMENTS[assignment]
