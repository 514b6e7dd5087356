"""The Latent diffusion page's figures: arrays in, plotly Figure out, in the style of lab_app/figures/.

The held-out aggregated posterior q(z) is drawn coloured by the digit each point encodes; the prior N(0, I) and the
latent DDPM's samples in gray or one colour each, so that the eye compares their spread with the coloured clusters.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import LAYOUT, LEGEND

CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#e7ba52", "#bcbd22",
                "#17becf")  # digit 0 … 9; no gray, which the samples' crosses use
SAMPLE_COLORS = {"prior N(0, I)": "#555555", "latent DDPM": "#000000"}
PRIOR_RADII = (1.0, 2.0, 3.0)  # circles |z| = r; N(0, I) in 2-D puts 1 − exp(−r²/2) of its mass inside: 39, 86, 99 %


def posterior_vs_samples(heldout: np.ndarray, labels: np.ndarray, samples: dict[str, np.ndarray], *,
                         lim: float = 4.0) -> go.Figure:
    """2-D latents: one square panel per entry of `samples` (n, 2), drawn as small dark crosses over the held-out
    q(z) draws `heldout` (N, 2), coloured by their digit `labels` (N,), with the prior's circles |z| = 1, 2, 3."""
    fig = make_subplots(1, len(samples), subplot_titles=[f"q(z) of the test digits vs {name}" for name in samples],
                        horizontal_spacing=0.06)
    angle = np.linspace(0, 2 * np.pi, 121)
    for col, (name, z) in enumerate(samples.items(), start=1):
        for digit in range(10):
            zd = heldout[labels == digit]
            fig.add_trace(go.Scatter(x=zd[:, 0], y=zd[:, 1], mode="markers", name=f"q(z): digit {digit}",
                                     legendgroup=f"digit {digit}", showlegend=col == 1,
                                     marker=dict(size=6, color=CLASS_COLORS[digit], opacity=0.75)), row=1, col=col)
        for r in PRIOR_RADII:
            fig.add_trace(go.Scatter(x=r * np.cos(angle), y=r * np.sin(angle), mode="lines",
                                     name="N(0, I): |z| = 1, 2, 3", legendgroup="prior circles", showlegend=col == 1 and r == PRIOR_RADII[0],
                                     hoverinfo="skip", line=dict(color="#999999", width=1, dash="dot")), row=1, col=col)
        fig.add_trace(go.Scatter(x=z[:, 0], y=z[:, 1], mode="markers", name=name, meta=name,
                                 marker=dict(size=5, symbol="x-thin", line=dict(width=1.2),
                                             color=SAMPLE_COLORS.get(name, "#000000"))), row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(range=[-lim, lim], constrain="domain", title_text="z₁", row=1, col=col)
        fig.update_yaxes(range=[-lim, lim], constrain="domain", scaleanchor=f"x{axis}", scaleratio=1,
                         title_text="z₂" if col == 1 else None, row=1, col=col)
    fig.update_layout(**{**LAYOUT, "height": 520, "legend": {**LEGEND, "y": 1.08}})
    return fig


def marginals(heldout: np.ndarray, samples: dict[str, np.ndarray], prior_grid: np.ndarray,
              prior_density: np.ndarray, *, ncols: int = 4) -> go.Figure:
    """One panel per latent dimension j: the held-out q(z)'s marginal of z_j as a histogram (density), the prior's
    N(0, 1) density `prior_density` on `prior_grid` as a dotted curve, and each entry of `samples` (n, d) as a
    step-line histogram on the same bins."""
    d = heldout.shape[1]
    nrows = -(-d // ncols)
    fig = make_subplots(nrows, ncols, subplot_titles=[f"z{_sub(j + 1)}" for j in range(d)], vertical_spacing=0.14,
                        horizontal_spacing=0.05)
    edges = np.linspace(-4, 4, 33)
    centres = (edges[:-1] + edges[1:]) / 2
    for j in range(d):
        row, col = j // ncols + 1, j % ncols + 1
        density, _ = np.histogram(heldout[:, j], bins=edges, density=True)
        fig.add_trace(go.Bar(x=centres, y=density, width=edges[1] - edges[0], name="q(z) of the test digits",
                             legendgroup="q", showlegend=j == 0, marker_color="#9ecae1", marker_line_width=0),
                      row=row, col=col)
        fig.add_trace(go.Scatter(x=prior_grid, y=prior_density, mode="lines", name="prior N(0, 1)",
                                 legendgroup="prior", showlegend=j == 0,
                                 line=dict(color=SAMPLE_COLORS["prior N(0, I)"], dash="dot", width=2)),
                      row=row, col=col)
        for name, z in samples.items():
            density, _ = np.histogram(z[:, j], bins=edges, density=True)
            fig.add_trace(go.Scatter(x=centres, y=density, mode="lines", line_shape="hvh", name=name, meta=name,
                                     legendgroup=name, showlegend=j == 0,
                                     line=dict(color=SAMPLE_COLORS.get(name, "#000000"), width=1.5)), row=row, col=col)
    fig.update_layout(**{**LAYOUT, "height": 260 * nrows + 80, "legend": {**LEGEND, "y": 1.06}}, bargap=0)
    return fig


def _sub(j: int) -> str:
    """j in Unicode subscript digits: 12 -> '₁₂'."""
    return str(j).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
