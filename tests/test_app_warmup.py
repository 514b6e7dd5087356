"""The warm-up (issue 16, item 2): does it compute what the pages show on first open, equal to the reference's own
recomputation, so that a page opened after it finds its samples and bound kept?"""
import numpy as np
import pytest
import torch

import reference
from lab_app import cache, warmup
from lab_app.compute import BoundRequest, SampleRequest, jobs
from test_app import _keep_torch_threads, needs_moons, open_page  # noqa: F401 (an autouse fixture)


@pytest.fixture(scope="module")
def warm_moons():
    """The schedules' and the moons model's defaults, warmed as at start-up."""
    torch.set_num_threads(1)
    warmup.schedules()
    warmup.checkpoint_defaults("moons")


def kept(request) -> dict:
    result = cache.compute_service().results.get(request.key)
    assert result is not None, f"{request} was not kept"
    return result


@needs_moons
def test_warm_samples_are_the_references(warm_moons):
    """Are the kept default samples of moons (DDPM, 2000 points, seed 0) those `reference.sample_ddpm` draws from a
    generator seeded 0, with a 101-frame trajectory?"""
    out = kept(SampleRequest("moons", "DDPM", 2000, 0))
    ckpt = reference.load_checkpoint("moons", device="cpu")
    x0 = reference.sample_ddpm(ckpt.model, (2000, 2), ckpt.schedule, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(out["x0"], x0.numpy(), atol=1e-5)
    assert out["x_t"].shape == (102, 2000, 2) and out["timesteps"][0] == 999 and out["timesteps"][-1] == 0


@needs_moons
@pytest.mark.parametrize("variance", ["fixed_large", "fixed_small"])
def test_warm_bound_is_the_references(warm_moons, variance):
    """Is the kept default bound (128 held-out moons, seed 0) `reference.vlb_terms` summarised, term by term?"""
    out = kept(BoundRequest("moons", 128, variance, 0))
    ckpt = reference.load_checkpoint("moons", device="cpu")
    x0 = reference.make_toy("moons", 128, seed=reference.data.TOY_HELDOUT_SEED)
    summary = reference.summarize_bound(reference.vlb_terms(ckpt.model, x0, ckpt.schedule, variance=variance, seed=0))
    np.testing.assert_allclose(out["per_term"], summary.per_term.numpy(), rtol=1e-6)
    assert out["total"] == pytest.approx(summary.total, rel=1e-6)


def test_warm_schedules_are_the_references(warm_moons):
    """Are the Schedule page's default curves those of `Schedule.from_name` for linear and cosine at T = 1000?"""
    for spec, name in zip(warmup.DEFAULT_SCHEDULES, ("linear", "cosine")):
        s = reference.Schedule.from_name(name, 1000)
        np.testing.assert_array_equal(cache.schedule_curves(spec)["alpha_bar"], s.alpha_bar.numpy())


@needs_moons
def test_pages_opened_after_the_warm_up_compute_nothing(warm_moons, monkeypatch):
    """Do the Sampling and ELBO pages, opened on their defaults after the warm-up, find their samples and bounds
    kept, running no job at all?"""
    monkeypatch.setattr(jobs, "run_batch", lambda *args: pytest.fail(f"the page computed {args[0]}"))
    at = open_page("sampling")
    assert any("this result came from the cache" in c.value for c in at.caption)
    open_page("elbo")


def test_the_warm_up_starts_only_under_a_server():
    """Does AppTest (no Streamlit runtime) leave the warm-up unstarted, so that page tests do not pay for it?"""
    assert warmup.start() is False
