"""The ELBO inspection page's bars: the bound's parts per reverse variance."""
from __future__ import annotations

import plotly.graph_objects as go

from lab_app.figures.style import LAYOUT, color


def bound_bars(parts: dict[str, dict[str, float]], *, colors: dict[str, str] | None = None) -> go.Figure:
    """Grouped bars: for each variance choice, the reconstruction, denoising and prior terms and the total.

    Each part's name breaks onto two lines at its last space.
    """
    fig = go.Figure()
    for i, (name, values) in enumerate(parts.items()):
        fig.add_trace(go.Bar(x=["<br>".join(k.rsplit(" ", 1)) for k in values], y=list(values.values()), name=name,
                             marker_color=color(colors, name, i), text=[f"{v:.3g}" for v in values.values()],
                             textposition="auto"))
    fig.update_layout(title="The bound split three ways (eq. 5)", yaxis_title="bits/dim", barmode="group",
                      uniformtext=dict(minsize=9, mode="hide"), **LAYOUT)
    fig.update_xaxes(tickangle=0)
    return fig
