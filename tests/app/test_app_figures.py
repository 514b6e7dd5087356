"""Does every figure in lab_app/figures/ that shows a legend hang it above the plot, clear of the x-axis title,
and keep a series' colour whatever else is drawn?"""
import numpy as np
import pytest

from lab_app.figures import common as common_figures
from lab_app.figures import elbo as elbo_figures
from lab_app.figures import schedule as schedule_figures

RNG = np.random.default_rng(0)
CURVE = {k: RNG.random(20) + 0.1 for k in ("betas", "alpha_bar", "sqrt_alpha_bar", "sqrt_one_minus_alpha_bar",
                                             "log_snr")}
POINTS = RNG.normal(size=(30, 2))
WITH_LEGEND = {
    "lines": lambda: common_figures.lines({"a": RNG.random(5), "b": RNG.random(5)}, "t", "y"),
    "schedule_panels": lambda: schedule_figures.schedule_panels({"1: a": CURVE, "2: b": CURVE}),
    "noised_panels": lambda: schedule_figures.noised_panels({"a": (POINTS, POINTS, RNG.random((4, 8, 8)))}),
    "scatter_2d": lambda: common_figures.scatter_2d({"data": POINTS, "samples": POINTS}, "s", reference="data"),
    "bound_bars": lambda: elbo_figures.bound_bars({"a": {"x": 1.0, "total": 1.0}, "b": {"x": 2.0, "total": 2.0}}),
}


@pytest.mark.parametrize("name", WITH_LEGEND)
def test_legend_sits_above_the_plotting_area(name):
    """Is the legend horizontal and anchored at its bottom to y ≥ 1, above the plot and its x-axis title?"""
    fig = WITH_LEGEND[name]()
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.yanchor == "bottom" and legend.y >= 1, legend


def test_fixed_colours_do_not_depend_on_order():
    """Does a series named in `colors` keep that colour when drawn alone or second?"""
    fixed = {"a": "#111111", "b": "#222222"}
    both = common_figures.lines({"b": np.ones(3), "a": np.ones(3)}, "t", "y", colors=fixed)
    alone = common_figures.lines({"a": np.ones(3)}, "t", "y", colors=fixed)
    assert [tr.line.color for tr in both.data] == ["#222222", "#111111"]
    assert alone.data[0].line.color == "#111111"
