"""The Network page's figures: arrays in, plotly Figure out (see lab_app/figures/ for the conventions).

Blocks arrive as the dicts of `cache.network_blocks` (the fields of reference.nets.network.Block); images as (H, W)
arrays; attention as (N, N) weights whose row p (position p = row·W + column) sums to 1.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab_app.figures.style import LAYOUT, LEGEND, PAPER_T, tile

KIND_COLORS = {"input conv": "#f0f0f0", "output": "#f0f0f0", "ResBlock": "#aec7e8",
               "ResBlock + attention": "#ffbb78", "Downsample": "#bdbdbd", "Upsample": "#bdbdbd",
               "time embedding": "#c5b0d5"}
KIND_LABELS = {"ResBlock + attention": "ResBlock<br>+ attention", "input conv": "conv 3×3", "output": "GN·SiLU·conv",
               "time embedding": "time MLP"}
SKIP_COLOR = "#2ca02c"
BOX_W, BOX_H = 0.86, 0.62  # in diagram units: one block a column, one resolution a row
ARC_RISE = 0.08  # a skip arc rises 0.12 + ARC_RISE per column it spans above the boxes


def _shape(shape) -> str:
    return "×".join(str(int(s)) for s in shape)


def _count(n: int) -> str:
    """701345 -> '701 345'."""
    return f"{int(n):,}".replace(",", " ")


def _box(x: float, y: float, w: float, h: float) -> tuple[list[float], list[float]]:
    """The corners of a w × h rectangle centred on (x, y), closed: xs, ys."""
    left, right, bottom, top = x - w / 2, x + w / 2, y - h / 2, y + h / 2
    return [left, right, right, left, left], [bottom, bottom, top, top, bottom]


def unet_diagram(blocks: list[dict]) -> go.Figure:
    """The U-Net as boxes along the U, one column per block in forward order and one row per resolution (full
    resolution on top): name, kind, output C×H×W and parameters in each box, the data flow as arrows, attention
    blocks in orange, each skip connection as a green arc from the block whose output is concatenated to the up
    block that takes it, and the time embedding above, feeding every ResBlock."""
    spatial = [b for b in blocks if b["kind"] != "time embedding"]
    embedding = [b for b in blocks if b["kind"] == "time embedding"]
    pos = {b["name"]: (float(i), -float(b["level"])) for i, b in enumerate(spatial)}
    depth = max(b["level"] for b in spatial)
    fig = go.Figure()
    shown = set()
    # 1. Skip connections: arcs over the boxes, the wider the higher.
    for b in spatial:
        if b["skip_from"] is None:
            continue
        (x0, y0), (x1, y1) = pos[b["skip_from"]], pos[b["name"]]
        s = np.linspace(0, 1, 41)
        xs = x0 + (x1 - x0) * s
        ys = y0 + (y1 - y0) * s + BOX_H / 2 + (0.12 + ARC_RISE * abs(x1 - x0)) * np.sin(np.pi * s)  # from top to top
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=SKIP_COLOR, width=2, dash="dot"),
                                 name="skip connection (concatenated)", legendgroup="skip",
                                 showlegend="skip" not in shown, hoverinfo="text",
                                 text=f"{b['skip_from']} → {b['name']}: {b['skip_from']}'s output joins the input"))
        shown.add("skip")
    # 2. The boxes, one filled trace each (hover for the details), and their labels.
    for b in spatial:
        x, y = pos[b["name"]]
        bx, by = _box(x, y, BOX_W, BOX_H)
        legend = {"ResBlock + attention": "ResBlock + self-attention"}.get(b["kind"], b["kind"])
        legend = "conv in / out" if b["kind"] in ("input conv", "output") else legend
        legend = "Down/Upsample" if b["kind"] in ("Downsample", "Upsample") else legend
        fig.add_trace(go.Scatter(x=bx, y=by, fill="toself", mode="lines", fillcolor=KIND_COLORS[b["kind"]],
                                 line=dict(color="#555555", width=1), name=legend, legendgroup=legend,
                                 showlegend=legend not in shown, hoveron="fills", hoverinfo="text", meta=b["name"],
                                 text=f"{b['name']}: {b['kind']}, in {_shape(b['in_shape'])} → out "
                                      f"{_shape(b['out_shape'])}, {_count(b['params'])} parameters"))
        shown.add(legend)
    fig.add_trace(go.Scatter(
        x=[pos[b["name"]][0] for b in spatial], y=[pos[b["name"]][1] for b in spatial], mode="text",
        text=[f"<b>{b['name']}</b><br>{KIND_LABELS.get(b['kind'], b['kind'])}<br>{_shape(b['out_shape'])}"
              f"<br>{_count(b['params'])}" for b in spatial],
        textfont=dict(size=10, color="#222222"), showlegend=False, hoverinfo="skip"))
    # 3. The data flow, block to block.
    for a, b in zip(spatial, spatial[1:]):
        (xa, ya), (xb, yb) = pos[a["name"]], pos[b["name"]]
        fig.add_annotation(x=xb - BOX_W / 2, y=yb, ax=xa + BOX_W / 2, ay=ya, xref="x", yref="y", axref="x",
                           ayref="y", showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.2, arrowcolor="#444444",
                           text="")
    # 4. The time embedding, above everything, feeding every ResBlock.
    top = 0.12 + ARC_RISE * len(spatial) + BOX_H + 0.25
    for b in embedding:
        x = (len(spatial) - 1) / 2
        bx, by = _box(x, top, 3.4, BOX_H * 0.8)
        fig.add_trace(go.Scatter(x=bx, y=by, fill="toself", mode="lines", fillcolor=KIND_COLORS[b["kind"]],
                                 line=dict(color="#555555", width=1), name="time embedding", hoveron="fills",
                                 hoverinfo="text", meta=b["name"],
                                 text=f"{b['name']}: in {_shape(b['in_shape'])} → out {_shape(b['out_shape'])}"))
        fig.add_trace(go.Scatter(x=[x], y=[top], mode="text", showlegend=False, hoverinfo="skip",
                                 textfont=dict(size=10, color="#222222"),
                                 text=[f"<b>{b['name']}</b>: sinusoid of t ({_shape(b['in_shape'])}) → "
                                       f"{_shape(b['out_shape'])}, {_count(b['params'])} parameters<br>"
                                       "added inside every ResBlock"]))
    levels = sorted({b["level"] for b in spatial})
    side = {b["level"]: _shape(b["out_shape"][1:]) for b in spatial}
    fig.update_xaxes(visible=False, range=[-0.6, len(spatial) - 0.4])
    fig.update_yaxes(tickvals=[-lv for lv in levels], ticktext=[f"{side[lv]}" for lv in levels], zeroline=False,
                     showgrid=False, range=[-depth - 0.5, top + 0.4], title="resolution")
    fig.update_layout(**{**LAYOUT, "height": 300 + 130 * depth, "legend": {**LEGEND, "y": 1.02},
                         "margin": dict(l=10, r=10, t=30, b=10)}, hovermode="closest")
    return fig


def embedding_heatmap(emb: np.ndarray) -> go.Figure:
    """The sinusoidal time embedding (T, D), row k the embedding of code t = k: dimension up, the paper's t across."""
    T, D = emb.shape
    fig = go.Figure(go.Heatmap(z=emb.T, x=np.arange(1, T + 1), y=np.arange(D), colorscale="RdBu", zmin=-1, zmax=1,
                               colorbar=dict(title="value", thickness=12), name="embedding",
                               hovertemplate="t = %{x}<br>dimension %{y}<br>value %{z:.3f}<extra></extra>"))
    fig.add_hline(y=D / 2 - 0.5, line_color="black", line_width=1)
    y_title = f"dimension (0 … {D // 2 - 1}: sin; {D // 2} … {D - 1}: cos)"
    fig.update_layout(xaxis_title=PAPER_T, yaxis_title=y_title,
                      **{**LAYOUT, "height": 380, "margin": dict(l=10, r=10, t=30, b=10)})
    return fig


def digit_views(images: dict[str, np.ndarray], noise_keys: tuple[str, ...] = ()) -> go.Figure:
    """One square panel per (H, W) image, titled by its key: gray on [−1, 1], except the noise images named in
    `noise_keys`, red-blue on [−3, 3] (ε ~ N(0, I))."""
    fig = make_subplots(1, len(images), subplot_titles=list(images), horizontal_spacing=0.03)
    for col, (title, z) in enumerate(images.items(), start=1):
        noise = title in noise_keys
        fig.add_trace(go.Heatmap(z=z, colorscale="RdBu_r" if noise else "gray", zmin=-3 if noise else -1,
                                 zmax=3 if noise else 1, showscale=False, name=title,
                                 hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>"), row=1, col=col)
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=col)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{axis}", constrain="domain", row=1,
                         col=col)
    fig.update_layout(**{**LAYOUT, "height": 240, "margin": dict(l=10, r=10, t=40, b=10)})
    return fig


def attention_views(x_t: np.ndarray, weights: np.ndarray, side: tuple[int, int], query: tuple[int, int],
                    block: str) -> go.Figure:
    """Where one query position looks: x_t (H, W) with the query's cell outlined; that query's row of the attention
    weights (N, N), N = h·w, as an h×w map over the same image; and the whole N×N matrix with the query's row
    outlined."""
    h, w = side
    H, W = x_t.shape
    r, c = query
    p = r * w + c
    row = weights[p].reshape(h, w)
    fig = make_subplots(1, 3, column_widths=[0.28, 0.28, 0.44], horizontal_spacing=0.1, subplot_titles=[
        f"x<sub>t</sub>, the query's cell<br>(row {r}, column {c}) outlined",
        f"{block}: that query's weights<br>over the {h}×{w} positions",
        f"{block}: all {h * w} queries (rows)<br>× keys (columns)"])
    fig.add_trace(go.Heatmap(z=x_t, colorscale="gray", zmin=-1, zmax=1, showscale=False, name="x_t",
                             hovertemplate="pixel row %{y}, column %{x}: %{z:.3f}<extra></extra>"), row=1, col=1)
    sy, sx = H / h, W / w  # pixels per attention position
    fig.add_shape(type="rect", x0=c * sx - 0.5, x1=(c + 1) * sx - 0.5, y0=r * sy - 0.5, y1=(r + 1) * sy - 0.5,
                  line=dict(color="#ff7f0e", width=3), row=1, col=1)
    fig.add_trace(go.Heatmap(z=row, colorscale="Viridis", zmin=0, zmax=float(row.max()), name="weights of the query",
                             colorbar=dict(x=fig.layout.xaxis2.domain[1] + 0.01, thickness=10, len=0.8),
                             hovertemplate="key row %{y}, column %{x}: %{z:.3f}<extra></extra>"), row=1, col=2)
    fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color="#ff7f0e", width=3),
                  row=1, col=2)
    fig.add_trace(go.Heatmap(z=weights, colorscale="Viridis", zmin=0, name="attention matrix",
                             colorbar=dict(thickness=10, len=0.8),
                             hovertemplate="query %{y} → key %{x}: %{z:.3f}<extra></extra>"), row=1, col=3)
    fig.add_shape(type="rect", x0=-0.5, x1=h * w - 0.5, y0=p - 0.5, y1=p + 0.5, line=dict(color="#ff7f0e", width=2),
                  row=1, col=3)
    for col in (1, 2, 3):
        axis = "" if col == 1 else str(col)
        fig.update_xaxes(constrain="domain", showgrid=False, zeroline=False, row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{axis}", constrain="domain", showgrid=False,
                         zeroline=False, row=1, col=col)
    fig.update_xaxes(title_text="key position p = row·w + column", row=1, col=3)
    fig.update_layout(**{**LAYOUT, "height": 380, "margin": dict(l=10, r=10, t=50, b=10)})
    return fig


def feature_maps(maps: np.ndarray, channels: list[int], block: str) -> go.Figure:
    """k feature maps (k, H, W) of one block side by side, each divided by its own largest |value| so that its
    pattern shows on the red-blue scale [−1, 1]; titled by channel."""
    k = len(maps)
    scale = np.abs(maps).reshape(k, -1).max(1)[:, None, None]
    scaled = maps / np.where(scale > 0, scale, 1.0)
    h, w = maps.shape[1:]
    fig = go.Figure(go.Heatmap(z=tile(scaled, k), colorscale="RdBu_r", zmin=-1, zmax=1, name=f"{block} features",
                               colorbar=dict(title="÷ max|·|", thickness=10), hoverinfo="skip"))
    fig.update_xaxes(tickvals=[i * (w + 1) + (w - 1) / 2 for i in range(k)],
                     ticktext=[f"channel {c}" for c in channels], side="top", showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain", showgrid=False,
                     zeroline=False)
    fig.update_layout(**{**LAYOUT, "height": 200, "margin": dict(l=10, r=10, t=40, b=10)})
    return fig
