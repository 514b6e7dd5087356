"""What every figure of the lab shares: the t-axis titles, the colours, the legend above the plot, the layout, and
helpers for arrays plotly cannot draw as they are.

x axes use the paper's timestep t = 1 … T (code's index t + 1), and say so. Legends sit above the plotting area,
where they cannot cover an axis title. `colors` maps a series' name to its colour, so that a series keeps its colour
whichever others are shown; unnamed series take COLORS in order.
"""
from __future__ import annotations

import numpy as np
import pandas  # noqa: F401

# plotly imports pandas lazily, on the first figure, and hands back a half-imported module to a second session
# drawing its first figure at the same moment (AttributeError: module 'pandas' has no attribute 'Series').
# Importing it here, under Python's import lock, before any figure module draws, closes that race.

PAPER_T = "t (paper's 1 … T; code's index is t − 1)"
RELATIVE_T = "t / T (paper's t over each schedule's own T)"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
DATA_MARKER = dict(size=5, color="#c8c8c8", opacity=0.6)  # the data, under samples or noised points
LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0)  # above the plot, under the title
LAYOUT = dict(margin=dict(l=10, r=10, t=70, b=10), height=340, legend=LEGEND)


def color(colors: dict[str, str] | None, name: str, i: int) -> str:
    """The colour fixed for `name` in `colors`, else the i-th of COLORS."""
    return (colors or {}).get(name, COLORS[i % len(COLORS)])


def finite(y: np.ndarray) -> np.ndarray:
    """NaN where y is ±inf, so that plotly leaves a gap instead of failing to draw."""
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.isfinite(y), y, np.nan)


def tile(images: np.ndarray, ncols: int) -> np.ndarray:
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
