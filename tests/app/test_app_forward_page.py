"""The Forward process page (issue 13): the chain of eq. 2 beside the jump of eq. 4, the variance over t, a digit."""
import numpy as np
import pytest
from test_app import _keep_torch_threads, errors, figure, open_page, y_of  # noqa: F401 (autouse fixture)

import reference

N = 1000  # points: fewer than the page's default, for speed


def x_of(trace: dict) -> np.ndarray:
    return y_of({"y": trace["x"]})


def table(at) -> dict[str, list[float]]:
    """The moments table: row label -> its four numbers (means of coordinates 1, 2, then variances), ± dropped."""
    text = next(m.value for m in at.markdown if "| step by step (eq. 2) |" in m.value)
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] and not cells[0].startswith(("---", "mean")) and cells[1] != "mean, coordinate 1":
            rows[cells[0].split(":")[0]] = [float(c.split(" ± ")[0]) for c in cells[1:]]
    return rows


def test_the_table_measures_the_points_drawn_and_both_ways_agree():
    """Are the table's moments those of the points in the histograms, and do the chain and the jump agree within
    4 standard errors, with eqs. 2 and 4 rendered as LaTeX?"""
    at = open_page("forward", forward_n=N)
    assert len(at.latex) >= 3 and any("sqrt{1-\\beta_t}" in e.value for e in at.latex)
    fig = figure(at, "fig_chain_vs_jump")
    hist = [tr for tr in fig["data"] if tr["type"] == "histogram"]
    assert [tr["name"] for tr in hist] == ["step by step (eq. 2)", "one jump (eq. 4)"] * 2
    rows = table(at)
    for k, tr in enumerate(hist):
        x = x_of(tr)
        assert len(x) == N
        row = rows["step by step (eq. 2)" if k % 2 == 0 else "one jump (eq. 4)"]
        assert row[k // 2] == pytest.approx(x.mean(), abs=6e-5)
        assert row[2 + k // 2] == pytest.approx(x.var(ddof=1), abs=6e-5)
    assert all(abs(g) < 4 for g in rows["gap between the two ways, in standard errors"])
    assert [abs(v) for v in rows["exact"]] == [0.0, 0.0, 1.0, 1.0]  # standardised data keep mean 0, variance 1


def test_moving_t_redraws_the_comparison():
    """Does a new t reach the figure's title and change the measured moments?"""
    at = open_page("forward", forward_n=N)
    before = table(at)
    assert figure(at, "fig_chain_vs_jump")["layout"]["annotations"][0]["text"] == "x<sub>t</sub> at t = 100"
    at.slider(key="forward_t_1000").set_value(800).run()
    assert not at.exception
    assert figure(at, "fig_chain_vs_jump")["layout"]["annotations"][0]["text"] == "x<sub>t</sub> at t = 800"
    after = table(at)
    assert after["step by step (eq. 2)"] != before["step by step (eq. 2)"]
    assert all(abs(g) < 4 for g in after["gap between the two ways, in standard errors"])


def test_variance_stays_at_one_for_eq_2_and_grows_without_the_square_root():
    """Does the variance plot show eq. 2's chain near 1 at every t and the unscaled chain along 1 + Σβ, its exact
    curves being the reference's, and does the table at t agree with the curve at t?"""
    at = open_page("forward", forward_n=N)
    traces = {tr["name"].split(" x<sub>")[0]: y_of(tr) for tr in figure(at, "fig_variance")["data"]}
    betas = reference.Schedule.from_name("linear", 1000).betas.numpy()
    np.testing.assert_allclose(traces["exact, eq. 4"], 1, atol=1e-6)
    np.testing.assert_allclose(traces["exact, 1 + Σ β<sub>s</sub>"], 1 + np.cumsum(betas), rtol=1e-6)
    assert np.abs(traces["step by step (eq. 2)"] - 1).max() < 0.25  # standard error ≈ 0.045 at 1000 points
    np.testing.assert_allclose(traces["unscaled chain"], 1 + np.cumsum(betas), rtol=0.15)
    assert traces["unscaled chain"][-1] > 9
    variances = table(at)["step by step (eq. 2)"][2:]
    assert np.mean(variances) == pytest.approx(traces["step by step (eq. 2)"][99], abs=1e-4)  # t = 100, same chain
    at.selectbox(key="forward_kind_0").set_value("cosine").run()
    assert not at.exception
    cosine = reference.Schedule.from_name("cosine", 1000).betas.numpy()
    exact = {tr["name"]: y_of(tr) for tr in figure(at, "fig_variance")["data"]}["exact, 1 + Σ β<sub>s</sub>"]
    assert exact[-1] == pytest.approx(1 + cosine.sum(), rel=1e-6)


def test_digit_strip_shows_both_ways_at_seven_t():
    """Does the digit strip show x0 and seven t in two rows, the row's first image being the held-out digit?"""
    at = open_page("forward", forward_n=N, forward_digit=3)
    fig = figure(at, "fig_digit_strip")
    z = fig["data"][0]["z"]  # plotly's typed array: {"dtype", "bdata", "shape"}
    z = y_of({"y": z}).reshape([int(k) for k in str(z["shape"]).split(",")])
    assert z.shape == (2 * 9 - 1, 7 * 9 - 1)
    digit = reference.load_digits_split().x_test[3, 0].numpy()
    np.testing.assert_allclose(z[:8, :8], digit, atol=1e-6)
    np.testing.assert_allclose(z[9:, :8], digit, atol=1e-6)
    assert fig["layout"]["xaxis"]["ticktext"][-1] == "t = 1000"
    assert fig["layout"]["yaxis"]["ticktext"] == ["step by step", "one jump"]


def test_a_bad_schedule_shows_an_error_not_a_traceback():
    """With T = 0, does the page say why and draw nothing?"""
    at = open_page("forward", forward_n=N, forward_T_0=0)
    assert errors(at) == ["T must be an integer of at least 1; got 0"]
    assert not at.get("plotly_chart")
