"""The ELBO page's legends, colours and the bound's standard error (issue 15)."""
import math

import numpy as np
import pytest
from test_app import _keep_torch_threads, figure, open_page  # noqa: F401 (autouse fixture)

import reference
from reference.checkpoints import available_checkpoints, load_checkpoint
from reference.data import make_toy
from reference.data import TOY_HELDOUT_SEED

pytestmark = pytest.mark.skipif("moons" not in available_checkpoints(), reason="the moons checkpoint is not shipped")
FIGURES = ("fig_terms", "fig_cumulative", "fig_parts", "fig_weight")
BETA, BETA_TILDE = "σ² = β (fixed_large)", "σ² = β̃ (fixed_small)"


def colors(at) -> dict[str, dict[str, str]]:
    """figure key -> {trace name: colour} for the page's four figures (bars by marker, lines by line colour)."""
    return {key: {tr["name"]: tr.get("marker", {}).get("color") if tr["type"] == "bar" else tr["line"]["color"]
                  for tr in figure(at, key)["data"]} for key in FIGURES}


def test_legends_sit_above_the_plots():
    """Does every figure hang its legend above the plotting area, where it cannot cover the x-axis title?"""
    at = open_page("elbo", elbo_n_moons=8)
    for key in FIGURES:
        layout = figure(at, key)["layout"]
        assert layout["legend"]["y"] >= 1 and layout["legend"]["yanchor"] == "bottom", (key, layout["legend"])


def test_each_variance_keeps_its_colour():
    """Is β̃ drawn in the same colour with both variances, alone, and after β is added back after it?"""
    at = open_page("elbo", elbo_n_moons=8)
    both = colors(at)
    at.multiselect(key="elbo_variances").set_value(["fixed_small"]).run()
    alone = colors(at)
    at.multiselect(key="elbo_variances").set_value(["fixed_small", "fixed_large"]).run()
    assert not at.exception
    readded = colors(at)
    for key in FIGURES:
        assert both[key][BETA_TILDE] == alone[key][BETA_TILDE] == readded[key][BETA_TILDE], key
        assert both[key][BETA] == readded[key][BETA] != readded[key][BETA_TILDE], key


def test_bound_shows_its_standard_error_and_the_number_of_examples():
    """Does each bound read "total ± SE" in bits/dim over n examples, the SE being std/√n of the per-example bounds?"""
    n = 16
    at = open_page("elbo", elbo_n_moons=n)
    ckpt = load_checkpoint("moons")
    x0 = make_toy("moons", n, seed=TOY_HELDOUT_SEED)
    for metric, variance in zip(at.metric, ("fixed_large", "fixed_small")):
        vlb = reference.vlb_terms(ckpt.model, x0, ckpt.schedule, variance=variance)  # seed 0, as the page
        per_example = (vlb.terms.double().sum(1) + vlb.prior.double()).numpy() / (vlb.dims * math.log(2))
        se = per_example.std(ddof=1) / math.sqrt(n)
        assert metric.label.startswith("bound (bits/dim), σ² = ")
        assert metric.value == f"{per_example.mean():.3f} ± {se:.3f}", (metric.value, se)
        assert 0 < se < 1
    assert any(f"Each bound is the mean over {n} held-out examples ± its standard error" in c.value
               for c in at.caption)


def test_one_example_shows_no_standard_error():
    """With a single example, is the bound shown without a ± (there is no spread to measure)?"""
    at = open_page("elbo", elbo_n_moons=1, elbo_variances=["fixed_large"])
    assert "±" not in at.metric[0].value
    assert any("Each bound is the mean over 1 held-out example." in c.value for c in at.caption)
    assert np.isfinite(float(at.metric[0].value.split()[0]))
