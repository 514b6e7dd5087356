"""The Training page's loss curve: arrays in, a Vega-Lite chart out (lab_app/figures/ holds the conventions).

Vega-Lite rather than plotly here, because the curve is redrawn a few times a second while the model trains: Streamlit
gives a keyed Vega-Lite chart the same identity whatever its data, and the browser swaps the new rows into the drawn
chart; a plotly chart whose figure changed is a new element, drawn from scratch, and blinks at every redraw.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lab_app.figures.style import COLORS

LOSS_TITLE = "The training loss"


def loss_curve(steps: np.ndarray, losses: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """(data, Vega-Lite spec) for st.vega_lite_chart: L_simple's rows (step, mean of the steps since the previous
    row) as a line, against the training step."""
    data = pd.DataFrame({"step": np.asarray(steps, dtype=np.int64), "loss": np.asarray(losses, dtype=np.float64)})
    spec = {
        "title": LOSS_TITLE,
        "mark": {"type": "line", "color": COLORS[0], "strokeWidth": 2},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": "training step"},
            "y": {"field": "loss", "type": "quantitative", "title": "L_simple (eq. 14)",
                  "scale": {"zero": False}},
            "tooltip": [{"field": "step", "type": "quantitative"},
                        {"field": "loss", "type": "quantitative", "format": ".4f"}],
        },
    }
    return data, spec
