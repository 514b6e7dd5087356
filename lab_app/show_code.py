"""The "Show the code" expander: the reference source behind a plot, read with inspect.getsource."""
from __future__ import annotations

import inspect

import streamlit as st


def show_code(*functions, label: str = "Show the code") -> None:
    """An expander holding the source of each reference function or class given."""
    with st.expander(label):
        for fn in functions:
            st.code(inspect.getsource(fn), language="python")
