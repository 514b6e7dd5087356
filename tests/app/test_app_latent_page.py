"""Does the Latent diffusion page draw the held-out aggregated posterior against the prior and the latent DDPM,
with their measured distances, and decoded digits from the three samplers with a quality figure and a time each?
Does the latent size switch the view from the 2-D scatter to the 8-D marginals? (Issue 14.)"""
import math

import numpy as np
from test_app import _keep_torch_threads, errors, figure, open_page, y_of  # noqa: F401 (an autouse fixture)

from reference import load_digits_split
from reference.families import latent

GRID_N = 16  # digits per grid: the pixel-space U-Net's 50 DDIM steps stay under a second


def numbers(at) -> dict[str, float]:
    """Every metric on the page, label -> its leading number."""
    return {m.label + f" [{i}]": float(m.value.split()[0]) for i, m in enumerate(at.metric)}


def test_latent_page_shows_q_z_the_samples_and_their_measured_numbers():
    """In 2-D: are the held-out q(z) draws the reference's (by digit), beside prior draws and latent DDPM samples,
    with finite distances, three grids of 16 digits, a confidence and a time each; and does 8-D switch to one
    marginal panel per dimension, with new distances?"""
    at = open_page("latent", latent_n=GRID_N)
    assert not errors(at)
    fig = figure(at, "fig_latent_scatter")
    names = {trace["name"] for trace in fig["data"]}
    assert {f"q(z): digit {k}" for k in range(10)} | {"prior N(0, I)", "latent DDPM"} <= names
    split = load_digits_split()
    heldout = latent.heldout_latents(latent.load_latent_diffusion(2, "cpu").vae, split.x_test)
    zero = next(trace for trace in fig["data"] if trace["name"] == "q(z): digit 0")
    np.testing.assert_allclose(y_of(zero), heldout[split.y_test == 0][:, 1].cpu().numpy(), rtol=1e-5)
    samples = [trace for trace in fig["data"] if trace["name"] == "latent DDPM"]
    assert len(samples) == 1 and len(y_of(samples[0])) == len(split.x_test)

    before = numbers(at)
    assert len(before) == 12 and all(math.isfinite(v) for v in before.values())
    for source in ("prior", "latent", "pixel"):
        grid = figure(at, f"fig_latent_grid_{source}")["data"][0]
        assert grid["type"] == "heatmap"
    captions = " ".join(c.value for c in at.caption)
    assert "DDIM, 50 steps" in captions and "U-Net" in captions
    assert any("| classifier confidence |" in m.value and "real test digits" in m.value for m in at.markdown)
    assert any("± " in m.value for m in at.metric)  # the confidence with its standard error
    assert any(m.label == "sampling time per digit" and m.value.endswith(" ms") for m in at.metric)

    at.radio(key="latent_dim").set_value(8).run()
    assert not at.exception and not errors(at)
    marginals = figure(at, "fig_latent_marginals")
    assert [a["text"] for a in marginals["layout"]["annotations"]] == [f"z{chr(0x2080 + j)}" for j in range(1, 9)]
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-fig_latent_scatter")]
    after = numbers(at)
    distance_keys = [k for k in before if "to q(z)" in k or "support" in k]
    assert len(distance_keys) == 6 and any(before[k] != after[k] for k in distance_keys)
