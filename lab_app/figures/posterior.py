"""The Posterior page's figures: arrays in, plotly Figure out (see lab_app/figures/ for the conventions)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import COLORS, LAYOUT, LEGEND, PAPER_T, finite

BAYES, CLOSED_FORM = "Bayes' rule on a grid", "N(μ̃<sub>t</sub>, β̃<sub>t</sub>), eq. 7"


def coefficients(curves: dict[str, np.ndarray], *, log_t: bool = False) -> go.Figure:
    """Left: μ̃_t's coefficient on x0 and on x_t (eq. 7). Right: β_t (wide, pale) under β̃_t (dashed) on a log axis,
    where β̃_1 = 0 leaves a gap at t = 1. Against the paper's t, on a log axis when `log_t`; `curves` holds
    cache.posterior_curves' arrays. Each trace's `meta` names its array."""
    x0, x_t, x_prev = "x<sub>0</sub>", "x<sub>t</sub>", "x<sub>t−1</sub>"
    alpha_bar, alpha_bar_prev, beta = "ᾱ<sub>t</sub>", "ᾱ<sub>t−1</sub>", "β<sub>t</sub>"
    fig = make_subplots(1, 2, horizontal_spacing=0.08,
                        subplot_titles=[f"μ̃<sub>t</sub> = (coefficient on {x0})·{x0} + (coefficient on {x_t})·{x_t}",
                                        f"{beta} of q({x_t} | {x_prev}), β̃<sub>t</sub> of the posterior (log axis)"])
    t = np.arange(1, len(curves["betas"]) + 1)
    panels = ((1, "coef1", f"on {x0}: √{alpha_bar_prev}·{beta} / (1 − {alpha_bar})", COLORS[0], {}),
              (1, "coef2", f"on {x_t}: √α<sub>t</sub>·(1 − {alpha_bar_prev}) / (1 − {alpha_bar})", COLORS[1], {}),
              (2, "betas", beta, COLORS[2], dict(width=6)),
              (2, "posterior_variance", f"β̃<sub>t</sub> = (1 − {alpha_bar_prev}) / (1 − {alpha_bar})·{beta}",
               COLORS[3], dict(dash="dash")))
    for col, key, name, color, style in panels:
        y = finite(curves[key])
        if col == 2:
            y = np.where(y > 0, y, np.nan)  # a log axis has no 0
        fig.add_trace(go.Scatter(x=t, y=y, name=name, meta=key, mode="lines", opacity=0.5 if "width" in style else 1,
                                 line=dict(color=color, **{"width": 2, **style})), row=1, col=col)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_xaxes(title_text=PAPER_T, **({"type": "log", "exponentformat": "power"} if log_t else {}))
    fig.update_layout(**{**LAYOUT, "height": 400, "legend": {**LEGEND, "y": 1.12}})
    return fig


def density(grid: np.ndarray, bayes: np.ndarray, closed_form: np.ndarray, title: str) -> go.Figure:
    """The posterior density over x_{t-1}: Bayes' rule on the grid (solid, wide) under eq. 7's Gaussian (dashed)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid, y=bayes, name=BAYES, mode="lines", line=dict(color=COLORS[0], width=6),
                             opacity=0.45))
    fig.add_trace(go.Scatter(x=grid, y=closed_form, name=CLOSED_FORM, mode="lines",
                             line=dict(color=COLORS[1], width=2, dash="dash")))
    fig.update_layout(title=title, xaxis_title="x<sub>t−1</sub>", yaxis_title="density", **{**LAYOUT, "height": 380})
    return fig
