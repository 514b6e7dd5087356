"""The "Show the code" expander: the reference source behind a plot, read with inspect.getsource.

In course mode (lab_app/ui/course_mode.py) code that answers a task of an open assignment is not shown; the expander
says so and shows the formula the code implements instead, so that the page still says what it computes.
"""
from __future__ import annotations

import inspect

import streamlit as st

from lab_app.ui.course_mode import answers_in


def show_code(*functions, label: str = "Show the code") -> None:
    """An expander holding the source of each reference function or class given, or, for code that answers an open
    assignment's task, a note and the task's equation (each equation once per expander)."""
    with st.expander(label):
        equations_shown = set()
        for fn in functions:
            answers = answers_in(fn)
            if not answers:
                st.code(inspect.getsource(fn), language="python")
                continue
            tasks = ", ".join(f"`{task}`" for task in answers)
            st.markdown(f"The code of `{fn.__module__}.{fn.__qualname__}` is hidden while its assignment is open: "
                        f"it gives away the answer to {tasks}, whose mathematics follows.")
            for answer in answers.values():
                if answer.equation not in equations_shown:
                    st.latex(answer.equation)
                    equations_shown.add(answer.equation)
