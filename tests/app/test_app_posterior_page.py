"""The Posterior page (issue 13): eq. 7's coefficients and β̃_t over t, and a 1-D posterior against Bayes' rule."""
import re

import numpy as np
import pytest
import torch
from test_app import _keep_torch_threads, errors, figure, open_page, y_of  # noqa: F401 (autouse fixture)

import reference

TYPE = "type it"  # the page's x_t mode that reads a typed value


def comparison(at) -> dict[str, tuple[float, float]]:
    """The 1-D table: "mean" and "variance" -> (eq. 7's value, the grid's value)."""
    text = next(m.value for m in at.markdown if "| Bayes' rule on the grid |" in m.value)
    out = {}
    for name in ("mean", "variance"):
        line = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[name] = (float(cells[1].split("=")[-1]), float(cells[2]))
    return out


def test_coefficient_figure_draws_the_schedules_arrays():
    """Are the plotted coefficients, β_t and β̃_t the schedule's (β̃_1 = 0 left out of the log axis), with eqs. 6–7 in
    LaTeX?"""
    at = open_page("posterior")
    assert len(at.latex) >= 4 and any(r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}" in e.value for e in at.latex)
    s = reference.Schedule.from_name("linear", 1000)
    fig = figure(at, "fig_coefficients")
    traces = {tr["meta"]: y_of(tr) for tr in fig["data"]}
    np.testing.assert_allclose(traces["coef1"], s.posterior_mean_coef1.numpy(), rtol=1e-12)
    np.testing.assert_allclose(traces["coef2"], s.posterior_mean_coef2.numpy(), rtol=1e-12)
    np.testing.assert_allclose(traces["betas"], s.betas.numpy(), rtol=1e-12)
    assert np.isnan(traces["posterior_variance"][0])
    np.testing.assert_allclose(traces["posterior_variance"][1:], s.posterior_variance.numpy()[1:], rtol=1e-12)
    assert fig["layout"]["xaxis"]["type"] == "log"
    at.checkbox(key="posterior_log_t").uncheck().run()
    assert figure(at, "fig_coefficients")["layout"]["xaxis"].get("type") != "log"


def test_typed_example_matches_eq_7_and_bayes_on_the_grid():
    """For x0 = −1.5, x_t = 0.3 at the paper's t = 50, does the page show eq. 7's μ̃ and β̃, the grid's equal values,
    overlapping curves and a tiny largest gap?"""
    at = open_page("posterior", posterior_mode=TYPE, posterior_x0=-1.5, posterior_x_t=0.3, posterior_t_1000=50)
    s = reference.Schedule.from_name("linear", 1000)
    mean, variance, _ = reference.q_posterior_mean_variance(torch.tensor([[-1.5]], dtype=torch.float64),
                                                            torch.tensor([[0.3]], dtype=torch.float64), 49, s)
    shown = comparison(at)
    assert shown["mean"][0] == pytest.approx(float(mean), rel=1e-7)
    assert shown["variance"][0] == pytest.approx(float(variance), rel=1e-7)
    assert shown["mean"][1] == pytest.approx(float(mean), rel=1e-7)
    assert shown["variance"][1] == pytest.approx(float(variance), rel=1e-7)
    gap = float(next(m for m in at.metric if m.label == "largest gap between the curves").value)
    bayes, closed_form = (y_of(tr) for tr in figure(at, "fig_density")["data"])
    assert gap == pytest.approx(np.abs(bayes - closed_form).max(), rel=0.01)
    assert gap < 1e-9 * closed_form.max()


def test_a_new_x0_or_seed_moves_the_posterior():
    """Does changing x0, or the seed of the drawn x_t, change the μ̃ shown?"""
    at = open_page("posterior")
    first = comparison(at)["mean"][0]
    at.number_input(key="posterior_x0").set_value(-2.0).run()
    second = comparison(at)["mean"][0]
    at.number_input(key="posterior_seed").set_value(3).run()
    assert not at.exception
    third = comparison(at)["mean"][0]
    assert len({first, second, third}) == 3


def test_t_equal_one_explains_the_collapse_with_numbers():
    """At the paper's t = 1, is there no density but a message with ᾱ_0 = 1, μ̃_1 = x0 and β̃_1 = 0, and does the β̃
    table start at β̃_1 = 0 with coefficients 1 and 0?"""
    at = open_page("posterior", posterior_t_1000=1, posterior_x0=0.7)
    assert not at.exception and not [c for c in at.get("plotly_chart") if c.proto.id.endswith("fig_density")]
    message = at.info[0].value
    assert "collapses onto it" in message and r"\bar\alpha_0 = 1" in message
    assert r"\tilde\beta_1 = 0" in message and "= 0.7$" in message
    text = next(m.value for m in at.markdown if "coefficient on $x_0$" in m.value)
    assert re.search(r"^\| 1 \| 1 \| 0\.0001 \| 0 \| 0\.0000 \| 1 \| 0 \|$", text, re.M), text


def test_zero_terminal_snr_at_T_and_a_bad_schedule():
    """Does β_T = 1 at t = T draw a posterior that matches eq. 7, and does T = 0 give an error, not a traceback?"""
    at = open_page("posterior", posterior_zero_snr_0=True, posterior_t_1000=1000)
    shown = comparison(at)
    assert shown["variance"][0] == pytest.approx(shown["variance"][1], rel=1e-7)
    bad = open_page("posterior", posterior_T_0=0)
    assert errors(bad) == ["T must be an integer of at least 1; got 0"] and not bad.get("plotly_chart")


def test_moving_t_reruns_only_the_one_dimensional_example(monkeypatch):
    """Does moving t redraw the 1-D example alone (issue 16, item 2): its density at the new t, with neither the
    coefficients' arrays looked up again nor their figure redrawn?"""
    from lab_app.views import posterior as posterior_view
    from test_app_sampling_page import move_in_fragment

    at = open_page("posterior", posterior_mode=TYPE)
    calls = []
    curves = posterior_view.posterior_curves
    monkeypatch.setattr(posterior_view, "posterior_curves", lambda *args: calls.append(args) or curves(*args))
    move_in_fragment(at, at.slider(key="posterior_t_1000"), 500)
    assert "at t = 500" in figure(at, "fig_density")["layout"]["title"]["text"]
    assert calls == []
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-fig_coefficients")]
