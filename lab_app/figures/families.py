"""The families page's figures (VAE, GAN, flow and diffusion): arrays in, plotly Figure out, in the style of
lab_app/figures/. Samples of the four families side by side, on the same axes, and their sampling time."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import COLORS, DATA_MARKER, LAYOUT, LEGEND, tile

FAMILY_COLORS = {"VAE": COLORS[0], "GAN": COLORS[1], "flow": COLORS[2], "diffusion": COLORS[3]}


def toy_samples(samples: dict[str, np.ndarray], heldout: np.ndarray, *, lim: float = 2.5) -> go.Figure:
    """One square panel per family: its samples (n, 2) over the held-out data (N, 2) in light gray."""
    fig = make_subplots(1, len(samples), subplot_titles=list(samples), horizontal_spacing=0.03)
    for col, (name, xy) in enumerate(samples.items(), start=1):
        fig.add_trace(go.Scatter(x=heldout[:, 0], y=heldout[:, 1], mode="markers", name="held-out data",
                                 legendgroup="data", showlegend=col == 1, marker=DATA_MARKER, hoverinfo="skip"),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=f"{name} samples", meta=name,
                                 marker=dict(size=3, color=FAMILY_COLORS.get(name, COLORS[4]), opacity=0.7)),
                      row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(range=[-lim, lim], constrain="domain", row=1, col=col)
        fig.update_yaxes(range=[-lim, lim], constrain="domain", scaleanchor=f"x{axis}", scaleratio=1, row=1, col=col)
    fig.update_layout(**{**LAYOUT, "height": 380, "legend": {**LEGEND, "y": 1.12}})
    return fig


def digit_samples(samples: dict[str, np.ndarray], *, ncols: int = 4) -> go.Figure:
    """One grid of digits per family, images (n, 1, 8, 8) or (n, 8, 8) in [−1, 1], clipped to it, in gray."""
    fig = make_subplots(1, len(samples), subplot_titles=list(samples), horizontal_spacing=0.02)
    nrows = 1
    for col, (name, images) in enumerate(samples.items(), start=1):
        images = np.clip(np.asarray(images).reshape(len(images), 8, 8), -1, 1)
        nrows = -(-len(images) // min(ncols, len(images)))
        fig.add_trace(go.Heatmap(z=tile(images, ncols), colorscale="gray", zmin=-1, zmax=1, showscale=False,
                                 hoverinfo="skip", name=name), row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(visible=False, row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{axis}", row=1, col=col)
    fig.update_layout(**{**LAYOUT, "height": 90 + 56 * nrows})
    return fig


def time_bars(seconds_per_sample: dict[str, float]) -> go.Figure:
    """Sampling time per sample of each family, one bar each, on a log axis (they span orders of magnitude)."""
    names = list(seconds_per_sample)
    values = [seconds_per_sample[k] for k in names]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=[FAMILY_COLORS.get(k.split(" ")[0], COLORS[4])
                                                            for k in names],
                           text=[f"{v * 1e3:.3g} ms" for v in values], textposition="outside"))
    fig.update_layout(title="Sampling time per sample (measured above)", yaxis_title="seconds per sample",
                      yaxis_type="log", **{**LAYOUT, "height": 320})
    return fig
