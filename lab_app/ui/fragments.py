"""`st.fragment` for the lab's pages: a fragment's rerun takes a turn like a page run (lab_app/server/admission.py)."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from lab_app.server import admission


def fragment(fn: Callable | None = None, **kwargs) -> Callable:
    """`st.fragment` whose reruns take a turn too (within a page run, the page's turn serves)."""
    def decorate(f: Callable) -> Callable:
        def taking_a_turn(*args, **kw):
            with admission.turns().turn():
                return f(*args, **kw)
        taking_a_turn.__name__, taking_a_turn.__qualname__ = f.__name__, f.__qualname__
        taking_a_turn.__doc__, taking_a_turn.__module__ = f.__doc__, f.__module__
        return st.fragment(taking_a_turn, **kwargs)
    return decorate if fn is None else decorate(fn)
