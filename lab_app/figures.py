"""Arrays in, plotly Figure out. No streamlit and no formulas here: every number arrives computed by reference/.

x axes use the paper's timestep t = 1 … T (code's index t + 1), and say so. Legends sit above the plotting area,
where they cannot cover an axis title. `colors` maps a series' name to its colour, so that a series keeps its colour
whichever others are shown; unnamed series take COLORS in order.
"""
from __future__ import annotations

import numpy as np
import pandas  # noqa: F401
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# plotly imports pandas lazily, on the first figure, and hands back a half-imported module to a second session
# drawing its first figure at the same moment (AttributeError: module 'pandas' has no attribute 'Series').
# Importing it above, under Python's import lock, closes that race.

PAPER_T = "t (paper's 1 … T; code's index is t − 1)"
RELATIVE_T = "t / T (paper's t over each schedule's own T)"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
DATA_MARKER = dict(size=5, color="#c8c8c8", opacity=0.6)  # the data, under samples or noised points
LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0)  # above the plot, under the title
LAYOUT = dict(margin=dict(l=10, r=10, t=70, b=10), height=340, legend=LEGEND)


def _color(colors: dict[str, str] | None, name: str, i: int) -> str:
    """The colour fixed for `name` in `colors`, else the i-th of COLORS."""
    return (colors or {}).get(name, COLORS[i % len(COLORS)])


def _finite(y: np.ndarray) -> np.ndarray:
    """NaN where y is ±inf, so that plotly leaves a gap instead of failing to draw."""
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.isfinite(y), y, np.nan)


def lines(series: dict[str, np.ndarray], title: str, y_title: str, *, x: dict[str, np.ndarray] | None = None,
          x_title: str = PAPER_T, log_y: bool = False, hline: tuple[float, str] | None = None,
          dashed: tuple[str, ...] = (), colors: dict[str, str] | None = None) -> go.Figure:
    """One line per entry of `series`, drawn against the paper's t = 1 … len(y) unless `x` gives other x values."""
    fig = go.Figure()
    for i, (name, y) in enumerate(series.items()):
        y = _finite(y)
        xs = np.arange(1, len(y) + 1) if x is None else np.asarray(x[name])
        fig.add_trace(go.Scatter(x=xs, y=y, name=name, mode="lines", opacity=0.85,
                                 line=dict(color=_color(colors, name, i), width=2,
                                           dash="dash" if name in dashed else None)))
    if hline is not None:
        fig.add_hline(y=hline[0], line_dash="dot", line_color="gray", annotation_text=hline[1])
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, **LAYOUT)
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power", dtick=1)
    return fig


def schedule_panels(curves: dict[str, dict[str, np.ndarray]], *, relative: bool = False,
                    colors: dict[str, str] | None = None) -> go.Figure:
    """Four panels against the paper's t, or t / T when `relative` (so that schedules of different T span the same
    axis), one colour per schedule: β_t (log axis), ᾱ_t, √ᾱ_t (solid) with √(1 − ᾱ_t) (dashed), and log-SNR.
    `curves[label]` holds the (T,) arrays under the names of cache.schedule_curves.

    One figure rather than four, as the browser draws one plotly chart much faster than four. Each trace's `meta`
    names its array.
    """
    panels = (("betas", "β_t"), ("alpha_bar", "ᾱ_t = Π (1 − β_s)"),
              ("sqrt_alpha_bar", "signal √ᾱ_t (solid), noise √(1 − ᾱ_t) (dashed)"),
              ("log_snr", "log SNR_t = log(ᾱ_t / (1 − ᾱ_t))"))
    fig = make_subplots(2, 2, subplot_titles=[title for _, title in panels], vertical_spacing=0.12,
                        horizontal_spacing=0.08)
    for i, (label, c) in enumerate(curves.items()):
        color = _color(colors, label, i)
        T = len(c["betas"])
        t = np.arange(1, T + 1) / (T if relative else 1)
        for k, (key, _) in enumerate(panels):
            row, col = divmod(k, 2)
            keys = (key, "sqrt_one_minus_alpha_bar") if key == "sqrt_alpha_bar" else (key,)
            for j, name in enumerate(keys):
                fig.add_trace(go.Scatter(x=t, y=_finite(c[name]), name=label, legendgroup=label, meta=name,
                                         showlegend=k == 0, mode="lines",
                                         line=dict(color=color, dash="dash" if j else None)), row=row + 1, col=col + 1)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text=RELATIVE_T if relative else PAPER_T, row=2)
    fig.update_layout(**{**LAYOUT, "height": 680, "legend": {**LEGEND, "y": 1.06}}, showlegend=True)
    return fig


def _tile(images: np.ndarray, ncols: int) -> np.ndarray:
    """Images (n, H, W) laid out in a grid of ncols columns, NaN in the one-pixel gaps between them."""
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    canvas = np.full((nrows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, ncols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[k]
    return canvas


def noised_panels(columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], lim: float = 4.0,
                  *, colors: dict[str, str] | None = None) -> go.Figure:
    """One column per schedule, titled by its key: the 2-D data x0 (light gray) under its x_t (coloured), on square
    axes so that isotropic noise looks round, and below, digits x_t in [−1, 1] in gray.
    `columns[title] = (x0 (n, 2), x_t (n, 2), digits (m, H, W))`.

    One figure rather than one per panel, as the browser draws one plotly chart much faster than several.
    """
    n = len(columns)
    fig = make_subplots(2, n, subplot_titles=list(columns), row_heights=[0.68, 0.32], vertical_spacing=0.08,
                        horizontal_spacing=0.04)
    for i, (title, (x0, x_t, digits)) in enumerate(columns.items()):
        col = i + 1
        fig.add_trace(go.Scatter(x=x0[:, 0], y=x0[:, 1], name="x0", legendgroup="x0", showlegend=i == 0,
                                 mode="markers", marker=DATA_MARKER), row=1, col=col)
        fig.add_trace(go.Scatter(x=x_t[:, 0], y=x_t[:, 1], name="x_t", legendgroup="x_t", showlegend=i == 0,
                                 mode="markers", marker=dict(size=3, color=_color(colors, title, i), opacity=0.7)),
                      row=1, col=col)
        fig.add_trace(go.Heatmap(z=_tile(digits, 4), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                                 hoverinfo="skip", name="digits x_t"), row=2, col=col)
        fig.update_xaxes(range=[-lim, lim], constrain="domain", row=1, col=col)
        fig.update_yaxes(range=[-lim, lim], constrain="domain", scaleanchor=f"x{col if col > 1 else ''}", scaleratio=1,
                         row=1, col=col)  # one unit is as long across as up
        fig.update_xaxes(visible=False, constrain="domain", row=2, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{n + col}", row=2, col=col)  # square pixels
    fig.update_layout(**{**LAYOUT, "height": 680, "legend": {**LEGEND, "y": 1.06}})
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
    fig = go.Figure(go.Heatmap(z=_tile(images, ncols), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                               hoverinfo="skip"))
    fig.update_layout(title=title, **{**LAYOUT, "height": height or 60 + 40 * nrows * max(1, 8 // ncols)})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def bound_bars(parts: dict[str, dict[str, float]], *, colors: dict[str, str] | None = None) -> go.Figure:
    """Grouped bars: for each variance choice, the reconstruction, denoising and prior terms and the total.

    Each part's name breaks onto two lines at its last space.
    """
    fig = go.Figure()
    for i, (name, values) in enumerate(parts.items()):
        fig.add_trace(go.Bar(x=["<br>".join(k.rsplit(" ", 1)) for k in values], y=list(values.values()), name=name,
                             marker_color=_color(colors, name, i), text=[f"{v:.3g}" for v in values.values()],
                             textposition="auto"))
    fig.update_layout(title="The bound split three ways (eq. 5)", yaxis_title="bits/dim", barmode="group",
                      uniformtext=dict(minsize=9, mode="hide"), **LAYOUT)
    fig.update_xaxes(tickangle=0)
    return fig
