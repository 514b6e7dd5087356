"""Does the page-side progress helper draw its bar and a live preview while a computation runs, and stay quiet on
a cache hit?"""
from streamlit.testing.v1 import AppTest


def _slow_script():
    import time

    import plotly.graph_objects as go
    import streamlit as st

    from lab_app.ui.progress import with_progress

    previews = []

    @st.cache_data
    def slow(steps, _progress=None):
        for i in range(steps):
            time.sleep(0.15)
            _progress(i + 1, steps, i)
        return "finished"

    def preview(value):
        previews.append(value)
        return go.Figure()

    result, computed = with_progress(slow, 10, label="steps", preview=preview)  # 1.5 s: two previews at 2 a second
    st.write(f"{result} computed={computed} previews={previews}")


def test_preview_follows_the_steps_then_the_cache_answers_silently():
    """While fn runs, is the preview drawn with increasing values, and does a rerun hit the cache with none?"""
    at = AppTest.from_function(_slow_script, default_timeout=30).run()
    assert not at.exception
    first = at.markdown[0].value
    assert first.startswith("finished computed=True previews=[")
    seen = eval(first.split("previews=")[1])
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] <= 9
    at.run()
    assert at.markdown[0].value == "finished computed=False previews=[]"


def test_preview_budget_rations_previews_across_sessions():
    """Does the process-wide budget allow one preview per 1/per_s seconds, whoever asks, and refuse those between?"""
    import threading
    import time

    from lab_app.ui.progress import PreviewBudget

    budget = PreviewBudget(per_s=5.0)  # one every 0.2 s
    granted = []
    threads = [threading.Thread(target=lambda: granted.append(budget.take())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(granted) == [False] * 7 + [True]  # eight sessions at once: one preview
    time.sleep(0.25)
    assert budget.take() is True and budget.take() is False
