"""Does the families page (VAE, GAN, flow and diffusion) show the four families' samples side by side, the same
number each, with the manifests' measured numbers in one table, and switch between the toy and the digits?
(Issue 17, item 3.) The page runs on its own file, so that the test does not depend on the router listing it."""
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import figure, y_of

from reference.families.comparison import FAMILIES_DIR

PAGE = str(Path(__file__).resolve().parents[2] / "lab_app" / "pages" / "families.py")
FAMILY_NAMES = ["VAE", "GAN", "flow", "diffusion"]

if not list(FAMILIES_DIR.glob("*.json")):
    pytest.skip("no family checkpoints are shipped", allow_module_level=True)


def open_families(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest):
    (frame,) = [df for df in at.dataframe]
    return frame.value


def test_toy_view_draws_four_families_with_measured_numbers():
    """On the moons: four panels of 300 samples each over the held-out data, a table with the flow's exact,
    the VAE's and diffusion's bounds, no GAN likelihood, finite times and the manifests' parameter counts?"""
    at = open_families(families_n_moons=300, families_seed=3)
    assert at.title[0].value == "VAE, GAN, flow and diffusion"
    fig = figure(at, "fig_family_samples")
    samples = {t["meta"]: t for t in fig["data"] if t.get("meta")}
    assert list(samples) == FAMILY_NAMES
    assert all(len(y_of(t)) == 300 for t in samples.values())

    table = _table(at).set_index("family")
    assert list(table.index) == FAMILY_NAMES
    assert table.loc["flow", "which"] == "exact" and table.loc["VAE", "which"] == "bound"
    assert table.loc["diffusion", "which"] == "bound" and table.loc["GAN", "which"] == "none"
    assert math.isnan(table.loc["GAN", "bits/dim"])
    assert table.loc["VAE", "IW bound"] <= table.loc["VAE", "bits/dim"]
    times = table["ms / sample"]
    assert (times > 0).all() and times.map(math.isfinite).all()  # which family is faster: bench/bench_families.py
    assert table.loc["diffusion", "passes / sample"] == 1000
    assert table.loc["GAN", "passes / sample"] == 1
    assert (table["parameters"] > 0).all()
    assert len(at.table) == 1  # what each family specifies


def test_seed_changes_the_samples_and_digits_switch_to_grids():
    """Does a new seed redraw the samples, and the digits view show four grids of the same count and the digits'
    discrete bits/dim?"""
    at = open_families(families_n_moons=200, families_seed=0)
    first = y_of([t for t in figure(at, "fig_family_samples")["data"] if t.get("meta") == "GAN"][0])
    at.number_input(key="families_seed").set_value(1).run()
    assert not at.exception
    second = y_of([t for t in figure(at, "fig_family_samples")["data"] if t.get("meta") == "GAN"][0])
    assert len(first) == len(second) == 200 and not (first == second).all()

    at.radio(key="families_data").set_value("digits").run()
    assert not at.exception
    grids = [t for t in figure(at, "fig_family_samples")["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in grids] == FAMILY_NAMES
    table = _table(at).set_index("family")
    assert table.loc["flow", "which"] == "bound"  # dequantised
    assert (table.loc[["VAE", "flow", "diffusion"], "bits/dim"] < 8).all()  # below uniform
    assert "classifier confidence" in table.columns
    assert any("8-bit bins" in m.value for m in at.markdown)
