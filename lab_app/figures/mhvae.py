"""The hierarchical-VAE page's figure: a Markovian hierarchical VAE beside DDPM as graphical models (see
lab_app/figures/ for the conventions). Switches and sizes in, plotly Figure out.

Each chain is drawn as six nodes, the data, the first two latents, an ellipsis and the last two, with the encoder's
arrows arching above (data to noise) and the decoder's below (noise to data). Learned arrows are solid and coloured,
fixed ones dashed or dotted; each edge trace's `meta` says which kind of edge it is ("encoder", "decoder", "prior").
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab_app.figures.style import COLORS, LAYOUT, LEGEND

LEARNED_ENCODER, FIXED_ENCODER = "encoder q<sub>φ</sub>: learned", "encoder q: fixed, no φ"
DECODER = "decoder p<sub>θ</sub>: learned"
PRIOR_TRAINS_PHI = "prior matching: depends on φ"
PRIOR_CONSTANT = "prior matching: fixed, not ≈ 0"
PRIOR_ZERO = "prior matching: ≈ 0"
FIXED_GRAY = "#8c8c8c"
STYLES = {  # edge name -> (colour, dash)
    LEARNED_ENCODER: (COLORS[0], None), FIXED_ENCODER: (FIXED_GRAY, "4px,3px"), DECODER: (COLORS[1], None),
    PRIOR_TRAINS_PHI: (COLORS[4], None), PRIOR_CONSTANT: (COLORS[4], "4px,3px"), PRIOR_ZERO: (FIXED_GRAY, "dot"),
}
DATA_FILL, LATENT_FILL, NOISE_FILL = "#bdbdbd", "white", "#e6e6e6"
NODE_SIZE = 38  # px: every node once latents have the data's size
FREE_SIZES = (32, 27, None, 27, 32)  # px: latents of sizes of their own, z_1 … z_T
PRIOR_X, PRIOR_HALF = 6.3, 0.36  # where p(x_T) = N(0, I) sits, right of the last latent, and its half width
R, LIFT, ARC = 0.12, 0.15, 0.45  # an arc leaves a node R from its centre and LIFT above (below) it; peaks at ARC


def _sub(name: str, index: str) -> str:
    return f"{name}<sub>{index}</sub>"


def _arc(start: float, end: float, sign: float, n: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """A quadratic Bézier from node `start` to node `end`, above the row (sign +1) or below it (sign −1)."""
    step = np.sign(end - start)
    p0, p2 = np.array([start + step * R, sign * LIFT]), np.array([end - step * R, sign * LIFT])
    p1 = np.array([(start + end) / 2, sign * ARC])
    s = np.linspace(0, 1, n)[:, None]
    points = (1 - s) ** 2 * p0 + 2 * s * (1 - s) * p1 + s**2 * p2
    return points[:, 0], points[:, 1]


class _Drawing:
    """Traces, annotations and shapes collected as plain dicts, so that plotly validates the figure once: one
    add_annotation per arrowhead would take most of a page rerun."""

    def __init__(self) -> None:
        self.traces: list[go.Scatter] = []
        self.annotations: list[dict] = []
        self.shapes: list[dict] = []
        self.shown: set[str] = set()  # legend entries already drawn

    def line(self, col: int, name: str, meta: str, xs: list, ys: list) -> None:
        color, dash = STYLES[name]
        self.traces.append(go.Scatter(x=xs, y=ys, mode="lines", name=name, legendgroup=name, meta=meta,
                                      showlegend=name not in self.shown, hoverinfo="skip", xaxis=_axis("x", col),
                                      yaxis=_axis("y", col), line=dict(color=color, dash=dash, width=2)))
        self.shown.add(name)

    def text(self, col: int, x: float, y: float, text: str, size: int = 13) -> None:
        self.annotations.append(dict(x=x, y=y, xref=_axis("x", col), yref=_axis("y", col), text=text,
                                     showarrow=False, font=dict(size=size)))


def _axis(letter: str, col: int) -> str:
    return letter if col == 1 else f"{letter}{col}"


def _edges(d: _Drawing, col: int, name: str, meta: str, pairs: list[tuple[float, float]], sign: float) -> None:
    """One trace of arcs for the edges `pairs` (from, to), with an arrowhead at each arc's end."""
    xs, ys = [], []
    for start, end in pairs:
        x, y = _arc(start, end, sign)
        xs += [*x, None]
        ys += [*y, None]
        d.annotations.append(dict(x=x[-1], y=y[-1], ax=x[-3], ay=y[-3], xref=_axis("x", col), yref=_axis("y", col),
                                  axref=_axis("x", col), ayref=_axis("y", col), text="", showarrow=True, arrowhead=2,
                                  arrowsize=1.3, arrowwidth=1.6, arrowcolor=STYLES[name][0]))
    d.line(col, name, meta, xs, ys)


def _chain(d: _Drawing, col: int, *, same_size: bool, fixed_encoder: bool, gaussian_end: bool, dims: int) -> None:
    """One graphical model in column `col`: x → z_1 → … → z_T (or x_0 → … → x_T) and back, with the prior."""
    z, data = ("x", _sub("x", "0")) if same_size else ("z", "x")
    labels = [data, _sub(z, "1"), _sub(z, "2"), "⋯", _sub(z, "T−1"), _sub(z, "T")]
    sizes = [NODE_SIZE] + ([NODE_SIZE] * 5 if same_size else list(FREE_SIZES))
    below = [f"D = {dims}"] + [f"D = {dims}" if same_size else f"d<sub>{t}</sub>" for t in ("1", "2", "", "T−1", "T")]
    below[3] = ""  # under the ellipsis
    fills = [DATA_FILL] + [LATENT_FILL] * 4 + [NOISE_FILL if gaussian_end else LATENT_FILL]
    encoder = FIXED_ENCODER if fixed_encoder else LEARNED_ENCODER
    prior = PRIOR_ZERO if gaussian_end else PRIOR_CONSTANT if fixed_encoder else PRIOR_TRAINS_PHI
    _edges(d, col, encoder, "encoder", [(i, i + 1) for i in range(5)], +1)
    _edges(d, col, DECODER, "decoder", [(i + 1, i) for i in range(5)], -1)
    d.line(col, prior, "prior", [5.3, PRIOR_X - PRIOR_HALF], [0, 0])
    keep = [i for i in range(6) if i != 3]  # the ellipsis is text only
    axes = dict(xaxis=_axis("x", col), yaxis=_axis("y", col), showlegend=False)
    d.traces.append(go.Scatter(
        x=keep, y=[0] * 5, mode="markers+text", text=[labels[i] for i in keep], textfont=dict(size=14, color="#222"),
        marker=dict(size=[sizes[i] for i in keep], color=[fills[i] for i in keep], line=dict(color="#333", width=1.5)),
        hovertext=[f"{labels[i]}: {below[i] or 'size free'}" for i in keep], hoverinfo="text", meta="nodes",
        name="nodes", **axes))
    d.traces.append(go.Scatter(
        x=[3, PRIOR_X] + list(range(6)), y=[0, 0] + [-0.8] * 6, mode="text", hoverinfo="skip",
        text=["⋯", "N(0, I)"] + below, textfont=dict(size=[18, 12] + [12] * 6), meta="labels", name="labels", **axes))
    d.shapes.append(dict(type="rect", x0=PRIOR_X - PRIOR_HALF, x1=PRIOR_X + PRIOR_HALF, y0=-0.16, y1=0.16,
                         xref=_axis("x", col), yref=_axis("y", col), line=dict(color="#333", width=1.5),
                         fillcolor=NOISE_FILL, layer="below"))
    d.text(col, PRIOR_X, 0.3, f"p({_sub(z, 'T')})")
    d.text(col, 1.5, ARC + 0.12, f"{'q' if fixed_encoder else 'q<sub>φ</sub>'}({_sub(z, 't')} | {_sub(z, 't−1')})"
           + (" = N(√α<sub>t</sub> x<sub>t−1</sub>, (1 − α<sub>t</sub>) I)" if fixed_encoder and same_size else ""))
    d.text(col, 1.5, -ARC - 0.12, f"p<sub>θ</sub>({_sub(z, 't−1')} | {_sub(z, 't')})")
    if gaussian_end:
        d.text(col, 5, -1.0, f"q({_sub(z, 'T')} | {data}) ≈ N(0, I)", size=12)


def graphical_models(same_size: bool, fixed_encoder: bool, gaussian_end: bool, dims: int) -> go.Figure:
    """Left: the Markovian hierarchical VAE with the restrictions switched on (latent size = data size, a fixed
    linear-Gaussian encoder, a final latent ≈ N(0, I)); right: DDPM, which has all three. `dims` is the data's D."""
    count = sum((same_size, fixed_encoder, gaussian_end))
    d = _Drawing()
    for x, title in ((0.24, f"Markovian hierarchical VAE: {count} of 3 restrictions on"),
                     (0.76, "DDPM (Ho et al. 2020): all three")):  # the panels' titles, first among the annotations
        d.annotations.append(dict(x=x, y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                                  text=title, showarrow=False, font=dict(size=16)))
    _chain(d, 1, same_size=same_size, fixed_encoder=fixed_encoder, gaussian_end=gaussian_end, dims=dims)
    _chain(d, 2, same_size=True, fixed_encoder=True, gaussian_end=True, dims=dims)
    x = dict(range=[-0.45, PRIOR_X + PRIOR_HALF + 0.05], visible=False, fixedrange=True)
    y = dict(range=[-1.1, 0.8], visible=False, fixedrange=True)
    return go.Figure(d.traces, layout={
        **LAYOUT, "height": 380, "legend": {**LEGEND, "y": 1.1}, "margin": dict(l=10, r=10, t=90, b=10),
        "plot_bgcolor": "white", "annotations": d.annotations, "shapes": d.shapes,
        "xaxis": {**x, "domain": [0, 0.48]}, "xaxis2": {**x, "domain": [0.52, 1]},
        "yaxis": {**y, "anchor": "x"}, "yaxis2": {**y, "anchor": "x2"}})
