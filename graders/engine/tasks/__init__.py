"""One task spec module per assignment; ASSIGNMENTS maps an assignment's name to its tasks, in notebook order."""
from __future__ import annotations

from ..judging import TaskSpec
from . import ddpm_beyond, ddpm_core

ASSIGNMENTS: dict[str, dict[str, TaskSpec]] = {"ddpm_core": ddpm_core.TASKS, "ddpm_beyond": ddpm_beyond.TASKS}


def tasks_of(assignment: str) -> dict[str, TaskSpec]:
    """The tasks of `assignment`; raises ValueError naming the known ones for any other name."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    return ASSIGNMENTS[assignment]


def assignment_of(task: str) -> str:
    """The assignment whose task is named `task` (task names are unique across assignments); ValueError otherwise."""
    for assignment, tasks in ASSIGNMENTS.items():
        if task in tasks:
            return assignment
    known = ", ".join(t for tasks in ASSIGNMENTS.values() for t in tasks)
    raise ValueError(f"unknown task {task!r}; choose one of {known}")
