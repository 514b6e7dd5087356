"""The x0 / ε / v page (issue 13 item 3): the weight each simple loss puts on step t against the bound, and models
trained on each target, measured on the page."""
import numpy as np
import pytest
import torch
from test_app import _keep_torch_threads, errors, figure, open_page, y_of  # noqa: F401 (autouse fixture)

import reference
import reference.evaluate
from reference.checkpoints import available_checkpoints


def test_weights_are_the_bound_over_each_loss():
    """Are the three curves D·(eq. 12 weight) / loss weight for the moons model's schedule, the x0 curve SNR_t times
    the ε curve, with the equations rendered?"""
    at = open_page("predictions", predictions_n_moons=64)
    assert not errors(at)
    assert len(at.latex) >= 3
    traces = {tr["name"]: y_of(tr) for tr in figure(at, "fig_prediction_weights")["data"]}
    schedule = reference.load_checkpoint("moons").schedule
    bound = reference.eps_weight_over_simple(schedule, "fixed_large", 2)
    for label, prediction in (("ε (Ho et al.)", "eps"), ("x₀", "x0"), ("v (Salimans & Ho)", "v")):
        expected = (bound / reference.loss_weight_on_eps(schedule, prediction))[1:].numpy()
        np.testing.assert_allclose(traces[label], expected, rtol=1e-6)
    np.testing.assert_allclose(traces["x₀"] / traces["ε (Ho et al.)"], schedule.snr[1:].numpy(), rtol=1e-6)


@pytest.mark.skipif(not {"moons_x0", "moons_v"} <= set(available_checkpoints()), reason="x0/v models not shipped")
def test_each_trained_model_is_measured_on_the_page():
    """Does the page show, for each of the three moons models, the bound the ELBO page's cache gives and samples that
    lie near the data (a sliced Wasserstein distance it reports, below that of pure noise)?"""
    at = open_page("predictions", predictions_n_moons=64)
    metrics = [m for m in at.metric]
    bounds = [m.value for m in metrics if m.label.startswith("bound")]
    distances = [float(m.value) for m in metrics if m.label.startswith("sliced")]
    assert len(bounds) == 3 and len(distances) == 3
    noise = reference.evaluate.sliced_wasserstein(torch.randn(64, 2, generator=torch.Generator().manual_seed(0)),
                                                  reference.make_toy("moons", 64, seed=2))
    assert all(d < noise for d in distances), (distances, noise)
    for prediction in ("eps", "x0", "v"):
        assert figure(at, f"fig_samples_{prediction}")["data"]
