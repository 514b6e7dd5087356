"""The Conditioning and guidance page's figures: arrays in, plotly Figure out, in the style of lab_app/figures/.

Guided digits tiled with the classifier's label on each (green when it is the asked digit, red when not); the
accuracy-vs-diversity curve over the guidance scale w; guided moons over the labelled data, coloured by moon.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab_app.figures.common import digit_grid
from lab_app.figures.style import DATA_MARKER, LAYOUT, LEGEND

RIGHT, WRONG = "#2ca02c", "#d62728"
MOON_COLORS = ("#1f77b4", "#ff7f0e")  # moon 0 (upper), moon 1 (lower)
MOON_NAMES = ("upper moon (y = 0)", "lower moon (y = 1)")


def guided_digits(images: np.ndarray, labels: np.ndarray, digit: int, title: str, *, ncols: int = 8) -> go.Figure:
    """Images (n, 8, 8) in [−1, 1] in a grid, each marked with the classifier's label: green when it is `digit`."""
    ncols = min(ncols, len(images))
    fig = digit_grid(images, title, ncols=ncols, height=120 + 110 * -(-len(images) // ncols))
    h, w = images.shape[1:]
    for k, label in enumerate(labels):
        r, c = divmod(k, ncols)
        fig.add_annotation(x=c * (w + 1) + w - 1, y=r * (h + 1), text=f"<b>{label}</b>", showarrow=False,
                           font=dict(size=11, color=RIGHT if label == digit else WRONG), bgcolor="white", opacity=0.85)
    return fig


MEASURES = {"accuracy": "class accuracy (digits classifier)",
            "mean_confidence": "classifier's p(y | sample) for the asked digit y"}


def tradeoff(curve: list[dict], digit: int, data: dict, student: dict | None, measure: str = "accuracy"
             ) -> go.Figure:
    """`measure` (a key of MEASURES, y) against within-class diversity (x), one point per guidance scale w of the
    manifest's sweep `curve`: the mean over all classes and, for accuracy, `digit`'s own; real held-out data
    (`data`: accuracy, diversity) as a star, and the student's own samples (`student`: w, the measure, diversity)
    as a large marker."""
    fig = go.Figure()
    text = [f"w = {row['w']:g}" for row in curve]
    fig.add_trace(go.Scatter(x=[row["diversity"] for row in curve], y=[row[measure] for row in curve],
                             mode="lines+markers+text", text=text, textposition="top center", name="all digits",
                             line=dict(color="#1f77b4")))
    if measure == "accuracy":
        fig.add_trace(go.Scatter(x=[row["per_class_diversity"][digit] for row in curve],
                                 y=[row["per_class_accuracy"][digit] for row in curve], mode="lines+markers",
                                 text=text, name=f"digit {digit}", line=dict(color="#ff7f0e", dash="dot")))
        fig.add_trace(go.Scatter(x=[data["diversity"]], y=[data["accuracy"]], mode="markers",
                                 name="real test digits", marker=dict(symbol="star", size=14, color="#555555")))
    if student is not None:
        fig.add_trace(go.Scatter(x=[student["diversity"]], y=[student[measure]], mode="markers",
                                 name=f"your samples (digit {digit}, w = {student['w']:g})",
                                 marker=dict(symbol="diamond", size=16, color=WRONG, line=dict(width=1, color="black"))))
    fig.update_layout(title="Guidance trades diversity for class fidelity", **{**LAYOUT, "height": 420})
    fig.update_xaxes(title="diversity: mean pairwise distance within a class (pixels in [−1, 1])")
    fig.update_yaxes(title=MEASURES[measure])
    return fig


def guided_moons(data_x0: np.ndarray, data_y: np.ndarray, x0: np.ndarray, y: np.ndarray, title: str,
                 *, lim: float = 2.5) -> go.Figure:
    """Held-out moons (light, tinted by moon) under guided samples x0 (n, 2) coloured by the moon y they were
    asked for, on square axes."""
    fig = go.Figure()
    for moon in (0, 1):
        xy = data_x0[data_y == moon]
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=f"data: {MOON_NAMES[moon]}",
                                 marker={**DATA_MARKER, "color": MOON_COLORS[moon], "opacity": 0.15}))
    for moon in np.unique(y):
        xy = x0[y == moon]
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=f"samples: {MOON_NAMES[moon]}",
                                 marker=dict(size=4, color=MOON_COLORS[moon], opacity=0.9,
                                             line=dict(width=0.5, color="black"))))
    fig.update_layout(title=title, **{**LAYOUT, "height": 460, "legend": LEGEND})
    fig.update_xaxes(range=[-lim, lim], constrain="domain")
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", scaleratio=1, constrain="domain")
    return fig
