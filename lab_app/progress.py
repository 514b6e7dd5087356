"""Run a cached computation in a worker thread while the page draws a progress bar from its progress(done, total).

Streamlit records every element a cached function touches, to replay it on a cache hit; a bar created on the page
and advanced from inside the function cannot be replayed. So the function only records (done, total), and the
page's own thread draws the bar.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import streamlit as st


def with_progress(fn: Callable[..., Any], *args, label: str, **kwargs) -> tuple[Any, bool]:
    """fn(*args, _progress=..., **kwargs) with a progress bar; returns (its result, whether it ran or came cached)."""
    state = {"done": 0, "total": 1, "result": None, "error": None}

    def progress(done: int, total: int) -> None:
        state["done"], state["total"] = done, total

    def work() -> None:
        try:
            state["result"] = fn(*args, _progress=progress, **kwargs)
        except BaseException as e:  # re-raised on the page's thread
            state["error"] = e

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(0.05)  # a cache hit returns at once, with no bar drawn
    if worker.is_alive():
        bar = st.progress(0.0, text=f"{label}…")
        while worker.is_alive():
            worker.join(0.1)
            bar.progress(min(1.0, state["done"] / state["total"]), text=f"{label}: {state['done']} of {state['total']}")
        bar.empty()
    if state["error"] is not None:
        raise state["error"]
    return state["result"], state["done"] > 0
