"""The Forward process page's figures: arrays in, plotly Figure out (see lab_app/figures/ for the conventions)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import COLORS, LAYOUT, LEGEND, tile

CHAIN, JUMP = "step by step (eq. 2)", "one jump (eq. 4)"
CHAIN_COLORS = {CHAIN: COLORS[0], JUMP: COLORS[1]}
MAX_SCATTER = 2000  # points drawn per cloud; the histograms use all


def chain_vs_jump(chain: np.ndarray, jump: np.ndarray, t: int, lim: float = 4.0) -> go.Figure:
    """x_t of the same 2-D points by the chain and by the jump, (n, 2) each, at the paper's t: overlaid on square
    axes, and each coordinate's histogram (a 1-D marginal) overlaid as a density on the same bins."""
    fig = make_subplots(1, 3, column_widths=[0.36, 0.32, 0.32], horizontal_spacing=0.07,
                        subplot_titles=[f"x<sub>t</sub> at t = {t}", "1-D marginal: coordinate 1",
                                        "1-D marginal: coordinate 2"])
    both = np.concatenate([chain, jump])
    for name, xy in ((CHAIN, chain), (JUMP, jump)):
        color = CHAIN_COLORS[name]
        xy = np.asarray(xy)[:MAX_SCATTER]
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], name=name, legendgroup=name, mode="markers",
                                 marker=dict(size=3, color=color, opacity=0.5)), row=1, col=1)
    for d in range(2):
        lo, hi = float(both[:, d].min()), float(both[:, d].max())
        bins = dict(start=lo, end=hi, size=(hi - lo) / 60 or 1.0)
        for name, xy in ((CHAIN, chain), (JUMP, jump)):
            fig.add_trace(go.Histogram(x=np.asarray(xy)[:, d], name=name, legendgroup=name, showlegend=False,
                                       histnorm="probability density", xbins=bins, opacity=0.55,
                                       marker_color=CHAIN_COLORS[name]), row=1, col=d + 2)
        fig.update_xaxes(title_text=f"coordinate {d + 1} of x<sub>t</sub>", row=1, col=d + 2)
    fig.update_yaxes(title_text="density", row=1, col=2)
    fig.update_xaxes(range=[-lim, lim], constrain="domain", row=1, col=1)
    fig.update_yaxes(range=[-lim, lim], constrain="domain", scaleanchor="x", scaleratio=1, row=1, col=1)
    fig.update_layout(barmode="overlay", **{**LAYOUT, "height": 420, "legend": {**LEGEND, "y": 1.14}})
    return fig


def digit_strip(x0: np.ndarray, rows: dict[str, np.ndarray], ts: list[int]) -> go.Figure:
    """One row per way of noising, x0 (H, W) first and then x_t at each paper's t in `ts`, (k, H, W) per row, in
    gray on [−1, 1] (noise beyond it saturates)."""
    k = len(ts)
    images = np.concatenate([np.concatenate([x0[None], np.asarray(r)]) for r in rows.values()])  # (rows·(k+1), H, W)
    h, w = x0.shape
    fig = go.Figure(go.Heatmap(z=tile(images, k + 1), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                               hoverinfo="skip", name="digit x_t"))
    fig.update_xaxes(tickvals=[c * (w + 1) + (w - 1) / 2 for c in range(k + 1)],
                     ticktext=["x<sub>0</sub>"] + [f"t = {t}" for t in ts], side="top", showgrid=False, zeroline=False)
    fig.update_yaxes(tickvals=[r * (h + 1) + (h - 1) / 2 for r in range(len(rows))], ticktext=list(rows),
                     autorange="reversed", scaleanchor="x", showgrid=False, zeroline=False)
    fig.update_layout(**{**LAYOUT, "height": 100 + 110 * len(rows), "margin": dict(l=10, r=10, t=40, b=10)})
    return fig

