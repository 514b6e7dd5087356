"""Course mode: while an assignment is open, the lab hides the reference code that answers its graded tasks.

The instructor names the open assignments in DDPM_LAB_OPEN_ASSIGNMENTS, comma-separated
(`DDPM_LAB_OPEN_ASSIGNMENTS=ddpm_core,ddpm_beyond streamlit run streamlit_app.py`); unset or empty, nothing is hidden.
It is read once per server process (lab_app/server/settings.py), so changing it means restarting the lab. Which code
answers which task is lab_app/ui/course_answers.py.
"""
from __future__ import annotations

from typing import Callable

from lab_app.server.settings import settings
from lab_app.ui.course_answers import ANSWERS, Answer

SETTING = "DDPM_LAB_OPEN_ASSIGNMENTS"


def open_assignments() -> tuple[str, ...]:
    """The assignments named in DDPM_LAB_OPEN_ASSIGNMENTS; ValueError naming any name the course does not have, so
    that a typo fails loudly instead of leaving the answers on show."""
    names = settings().open_assignments
    unknown = [name for name in names if name not in ANSWERS]
    if unknown:
        raise ValueError(f"{SETTING} names unknown assignment(s) {', '.join(map(repr, unknown))}; the course's "
                         f"assignments are {', '.join(ANSWERS)}")
    return names


def _same(a: Callable, b: Callable) -> bool:
    """Whether a and b are one function: `Schedule.from_betas` is a new bound method at every attribute access."""
    return getattr(a, "__func__", a) is getattr(b, "__func__", b)


def answers_in(fn: Callable) -> dict[str, Answer]:
    """The tasks of the open assignments whose answer `fn`'s code gives away, named "assignment: task"."""
    return {f"{assignment}: {task}": answer for assignment in open_assignments()
            for task, answer in ANSWERS[assignment].items() if any(_same(fn, code) for code in answer.code)}
