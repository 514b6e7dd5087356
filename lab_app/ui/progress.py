"""Run a cached computation in a worker thread while the page draws a progress bar from its progress(done, total),
and, when asked, a live preview of the latest value it reports as progress(done, total, value); or follow a compute
service ticket, with its place in the queue (`follow`).

Streamlit records every element a cached function touches, to replay it on a cache hit; a bar created on the page
and advanced from inside the function cannot be replayed. So the function only records (done, total), and the
page's own thread draws the bar.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import streamlit as st

from lab_app.server import admission
from lab_app.server.compute import Ticket

PREVIEW_EVERY_S = 0.6  # how often the bar and the preview are redrawn; plotly needs a few hundred ms to draw
PREVIEWS_PER_S = 2.0  # live previews drawn per second by all sessions together (`PreviewBudget`)


class PreviewBudget:
    """At most `per_s` live previews a second across every session of the server process. Each preview is a plotly
    figure of the model's x̂0, built and sent under the one interpreter lock that every student's page rerun needs:
    with 30 students waiting on one batch, a preview each every 0.6 s took more of it than all the reruns
    (bench/bench_load.py, 50 students). The bars, a few bytes each, are not rationed."""

    def __init__(self, per_s: float):
        self.gap, self._next, self._lock = 1.0 / per_s, 0.0, threading.Lock()

    def take(self) -> bool:
        """Whether a preview may be drawn now (and, if so, the budget's next slot is taken)."""
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                return False
            self._next = now + self.gap
            return True


previews = PreviewBudget(PREVIEWS_PER_S)


def with_progress(fn: Callable[..., Any], *args, label: str, preview: Callable[[Any], Any] | None = None,
                  **kwargs) -> tuple[Any, bool]:
    """fn(*args, _progress=..., **kwargs) with a progress bar; returns (its result, whether it ran or came cached).

    preview: turns the latest value fn reported into a plotly figure, redrawn under the bar while fn runs.
    """
    state = {"done": 0, "total": 1, "value": None, "result": None, "error": None}

    def progress(done: int, total: int, value: Any = None) -> None:
        state["done"], state["total"], state["value"] = done, total, value

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
        slot = st.columns(3)[0].empty() if preview is not None else None  # as wide as the page's figures
        frame = 0
        with admission.turns().stepped_aside():  # the work runs in its own thread; waiting for it holds no turn
            while worker.is_alive():
                worker.join(PREVIEW_EVERY_S)
                bar.progress(min(1.0, state["done"] / state["total"]),
                             text=f"{label}: {state['done']} of {state['total']}")
                if slot is not None and state["value"] is not None and previews.take():
                    frame += 1  # a new key for each redraw: identical figures would otherwise share an id
                    slot.plotly_chart(preview(state["value"]), key=f"preview-{label}-{frame}")
        bar.empty()
        if slot is not None:
            slot.empty()
    if state["error"] is not None:
        raise state["error"]
    return state["result"], state["done"] > 0


def follow(ticket: Ticket, *, label: str, preview: Callable[[Any], Any] | None = None) -> tuple[dict, bool]:
    """Wait for a compute-service ticket: while queued, how many requests are ahead of this one; while running, a
    progress bar (and the live preview of the model's current x̂0). Returns (its result, whether it was computed for
    this wait rather than kept). A rerun that interrupts the wait releases the ticket, so that a request nobody
    waits for any more leaves the queue."""
    computed = not ticket.finished
    if computed and not ticket.wait(0.05):
        status, bar = st.empty(), st.empty()
        slot = st.columns(3)[0].empty() if preview is not None else None
        frame = 0
        with admission.turns().stepped_aside():  # a wait holds no turn
            try:
                while not ticket.wait(PREVIEW_EVERY_S):
                    if ticket.state == "queued":
                        ahead = ticket.ahead
                        status.info(f"{label}: {ahead} request{'' if ahead == 1 else 's'} ahead of yours in the queue…")
                        continue
                    status.empty()
                    shared = f" (one run for {ticket.batch} requests)" if ticket.batch > 1 else ""
                    if ticket.total:
                        bar.progress(min(1.0, ticket.done / ticket.total),
                                     text=f"{label}: {ticket.done} of {ticket.total}{shared}")
                    else:
                        bar.progress(0.0, text=f"{label}: started{shared}…")
                    if slot is not None and ticket.preview is not None and previews.take():
                        frame += 1
                        slot.plotly_chart(preview(ticket.preview), key=f"preview-{label}-{frame}")
            finally:
                ticket.release()
        for element in (status, bar, slot):
            if element is not None:
                element.empty()
    return ticket.value(), computed
