"""The Network page (issue 13): the digits U-Net's blocks, its time embedding, attention and feature maps at a t."""
import numpy as np
import pytest
from test_app import _keep_torch_threads, figure, needs_digits, open_page, y_of  # noqa: F401 (autouse fixture)

import reference
from reference.checkpoints import load_checkpoint
from reference.nets.models import count_parameters

pytestmark = needs_digits


def z_of(trace: dict) -> np.ndarray:
    """A heatmap's z as a 2-D array, decoded from plotly's typed-array JSON when needed."""
    z = trace["z"]
    if isinstance(z, dict):  # {"dtype", "bdata", "shape"}
        return y_of({"y": z}).reshape([int(k) for k in str(z["shape"]).split(",")])
    return np.array([[np.nan if v is None else v for v in row] for row in z], dtype=np.float64)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_blocks_and_their_parameters_are_the_checkpoints():
    """Does the page show the digits checkpoint's parameter count, in the metric and as the table's sum, draw a box
    for every block the model has, and show the time embedding of code t = 0 at the paper's t = 1?"""
    at = open_page("network")
    model = load_checkpoint("digits", device="cpu").model
    total = count_parameters(model)
    assert int(metric(at, "parameters").replace(" ", "")) == total
    table = at.dataframe[0].value
    assert int(table["parameters"].sum()) == total
    assert list(table["block"]) == ["time_mlp", "inp", "down.0", "down.1", "down.2", "middle.0", "middle.1", "up.0",
                                    "up.1", "up.2", "up.3", "up.4", "out"]
    assert metric(at, "self-attention blocks") == "4"
    boxes = {tr.get("meta") for tr in figure(at, "fig_unet")["data"]} - {None}
    assert boxes == set(table["block"])
    emb = figure(at, "fig_embedding")["data"][0]
    z = z_of(emb)
    assert z.shape == (model.t_dim, 1000)
    assert y_of({"y": emb["x"]})[0] == 1  # the paper's t on the axis
    np.testing.assert_allclose(z[:, 0], [0.0] * 16 + [1.0] * 16)  # code t = 0: sin 0, cos 0
    assert len(at.latex) >= 3 and any("10000^{-k/(d/2-1)}" in e.value for e in at.latex)


def test_moving_t_changes_what_the_network_sees():
    """Do ᾱ_t, the loss and x_t's title follow the t slider, ᾱ_t being the schedule's at code t − 1?"""
    at = open_page("network")
    alpha_bar = reference.Schedule.from_name("cosine", 1000).alpha_bar
    assert float(metric(at, "ᾱ_t")) == pytest.approx(float(alpha_bar[249]), abs=1e-4)
    before = metric(at, "‖ε − ε_θ‖² / D")
    at.slider(key="network_t_1000").set_value(900).run()
    assert not at.exception
    assert float(metric(at, "ᾱ_t")) == pytest.approx(float(alpha_bar[899]), abs=1e-4)
    assert metric(at, "‖ε − ε_θ‖² / D") != before
    titles = [a["text"] for a in figure(at, "fig_digit_views")["layout"]["annotations"]]
    assert "x<sub>t</sub>, t = 900" in titles


def test_attention_rows_are_a_softmax_and_the_query_picks_its_row():
    """Is the attention matrix 16×16 (4×4 positions) with rows summing to 1, does the query's 4×4 map equal its
    row, and does a new query or feature block redraw them?"""
    at = open_page("network")
    traces = figure(at, "fig_attention")["data"]
    matrix, query_map = z_of(traces[2]), z_of(traces[1])
    assert matrix.shape == (16, 16)
    np.testing.assert_allclose(matrix.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(query_map.ravel(), matrix[5], atol=1e-7)  # row 1, column 1 by default
    at.select_slider(key="network_query_4x4").set_value(10).run()
    assert not at.exception
    np.testing.assert_allclose(z_of(figure(at, "fig_attention")["data"][1]).ravel(), matrix[10], atol=1e-7)
    at.selectbox(key="network_feature_block").set_value("middle.0").run()
    assert not at.exception
    fig = figure(at, "fig_features")
    assert z_of(fig["data"][0]).shape == (4, 8 * 5 - 1)  # eight 4×4 maps, a blank column between
    assert len(fig["layout"]["xaxis"]["ticktext"]) == 8
