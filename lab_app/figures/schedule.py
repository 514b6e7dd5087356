"""The Schedule design page's figures: each schedule's curves over t, and the data noised at t."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import DATA_MARKER, LAYOUT, LEGEND, PAPER_T, RELATIVE_T, color, finite, tile


def schedule_panels(curves: dict[str, dict[str, np.ndarray]], *, relative: bool = False,
                    colors: dict[str, str] | None = None) -> go.Figure:
    """Four panels against the paper's t, or t / T when `relative` (so that schedules of different T span the same
    axis), one colour per schedule: β_t (log axis), ᾱ_t, √ᾱ_t (solid) with √(1 − ᾱ_t) (dashed), and log-SNR.
    `curves[label]` holds the (T,) arrays under the names of lab_app.views.schedule.schedule_curves.

    One figure rather than four, as the browser draws one plotly chart much faster than four. Each trace's `meta`
    names its array.
    """
    panels = (("betas", "β_t"), ("alpha_bar", "ᾱ_t = Π (1 − β_s)"),
              ("sqrt_alpha_bar", "signal √ᾱ_t (solid), noise √(1 − ᾱ_t) (dashed)"),
              ("log_snr", "log SNR_t = log(ᾱ_t / (1 − ᾱ_t))"))
    fig = make_subplots(2, 2, subplot_titles=[title for _, title in panels], vertical_spacing=0.12,
                        horizontal_spacing=0.08)
    for i, (label, c) in enumerate(curves.items()):
        line_color = color(colors, label, i)
        T = len(c["betas"])
        t = np.arange(1, T + 1) / (T if relative else 1)
        for k, (key, _) in enumerate(panels):
            row, col = divmod(k, 2)
            keys = (key, "sqrt_one_minus_alpha_bar") if key == "sqrt_alpha_bar" else (key,)
            for j, name in enumerate(keys):
                fig.add_trace(go.Scatter(x=t, y=finite(c[name]), name=label, legendgroup=label, meta=name,
                                         showlegend=k == 0, mode="lines",
                                         line=dict(color=line_color, dash="dash" if j else None)),
                              row=row + 1, col=col + 1)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text=RELATIVE_T if relative else PAPER_T, row=2)
    fig.update_layout(**{**LAYOUT, "height": 680, "legend": {**LEGEND, "y": 1.06}}, showlegend=True)
    return fig


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
                                 mode="markers", marker=dict(size=3, color=color(colors, title, i), opacity=0.7)),
                      row=1, col=col)
        fig.add_trace(go.Heatmap(z=tile(digits, 4), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                                 hoverinfo="skip", name="digits x_t"), row=2, col=col)
        fig.update_xaxes(range=[-lim, lim], constrain="domain", row=1, col=col)
        fig.update_yaxes(range=[-lim, lim], constrain="domain", scaleanchor=f"x{col if col > 1 else ''}", scaleratio=1,
                         row=1, col=col)  # one unit is as long across as up
        fig.update_xaxes(visible=False, constrain="domain", row=2, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{n + col}", row=2, col=col)  # square pixels
    fig.update_layout(**{**LAYOUT, "height": 680, "legend": {**LEGEND, "y": 1.06}})
    return fig
