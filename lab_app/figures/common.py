"""Charts several pages draw: lines over t, 2-D scatters and digit grids. Arrays in, plotly Figure out; no
streamlit and no formulas here: every number arrives computed by reference/."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab_app.figures.style import COLORS, DATA_MARKER, LAYOUT, PAPER_T, color, finite, tile


def lines(series: dict[str, np.ndarray], title: str, y_title: str, *, x: dict[str, np.ndarray] | None = None,
          x_title: str = PAPER_T, log_y: bool = False, hline: tuple[float, str] | None = None,
          dashed: tuple[str, ...] = (), colors: dict[str, str] | None = None) -> go.Figure:
    """One line per entry of `series`, drawn against the paper's t = 1 … len(y) unless `x` gives other x values."""
    fig = go.Figure()
    for i, (name, y) in enumerate(series.items()):
        y = finite(y)
        xs = np.arange(1, len(y) + 1) if x is None else np.asarray(x[name])
        fig.add_trace(go.Scatter(x=xs, y=y, name=name, mode="lines", opacity=0.85,
                                 line=dict(color=color(colors, name, i), width=2,
                                           dash="dash" if name in dashed else None)))
    if hline is not None:
        fig.add_hline(y=hline[0], line_dash="dot", line_color="gray", annotation_text=hline[1])
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, **LAYOUT)
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    return fig


def scatter_2d(points: dict[str, np.ndarray], title: str, *, lim: float | None = None, height: int = 360,
               reference: str | None = None) -> go.Figure:
    """2-D point clouds, (n, 2) each, overlaid; the one named `reference` (the data) drawn underneath in light gray."""
    fig = go.Figure()
    for i, (name, xy) in enumerate(sorted(points.items(), key=lambda item: item[0] != reference)):
        xy = np.asarray(xy)
        marker = DATA_MARKER if name == reference else dict(size=3, color=COLORS[i % len(COLORS)], opacity=0.7)
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], name=name, mode="markers", marker=marker))
    fig.update_layout(title=title, **{**LAYOUT, "height": height})
    if lim is not None:
        fig.update_xaxes(range=[-lim, lim])
        fig.update_yaxes(range=[-lim, lim])
    fig.update_yaxes(scaleanchor="x")
    return fig


def digit_grid(images: np.ndarray, title: str, *, ncols: int = 8, height: int | None = None) -> go.Figure:
    """Images (n, H, W) in [−1, 1] tiled into a grid with one blank pixel between them, shown in gray."""
    nrows = -(-len(images) // min(ncols, len(images)))
    fig = go.Figure(go.Heatmap(z=tile(images, ncols), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                               hoverinfo="skip"))
    fig.update_layout(title=title, **{**LAYOUT, "height": height or 60 + 40 * nrows * max(1, 8 // ncols)})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig
