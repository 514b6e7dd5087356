"""The warm-up (issue 16, item 2): does it compute what the pages show on first open, equal to the reference's own
recomputation, so that a page opened after it finds its samples and bound kept? Both read each page's DEFAULTS
(lab_app/views/<page>.py); the pages' calls are checked against the warm-up's, so that a page that reads a default
of its own, or derives a view from one differently, fails here."""
import inspect

import numpy as np
import pytest
import torch

import reference
from lab_app.views import elbo, forward, posterior, schedule, shared, warmup
from lab_app.server.compute import BoundRequest, SampleRequest
from lab_app.server.compute import jobs
from test_app import _keep_torch_threads, needs_moons, open_page  # noqa: F401 (an autouse fixture)


WARMED = {shared: ("schedule_label", "toy_data", "held_out"),  # the cached views the warm-up fills, by module
          schedule: ("schedule_curves", "schedule_files", "noised_toy", "noised_digits"),
          forward: ("forward_variance", "forward_at", "forward_digit"),
          posterior: ("posterior_curves", "draw_x_t", "posterior_1d"), elbo: ("weight_over_simple",)}


def recording(monkeypatch, calls: set) -> None:
    """Every WARMED function records (its name, its arguments but the underscored ones) in `calls` as it runs."""
    for module, names in WARMED.items():
        for name in names:
            fn = getattr(module, name)
            signature = inspect.signature(getattr(fn, "__wrapped__", fn))

            def recorded(*args, _fn=fn, _name=f"{module.__name__}.{name}", _signature=signature, **kwargs):
                bound = _signature.bind(*args, **kwargs)
                calls.add((_name, tuple((k, v) for k, v in bound.arguments.items() if not k.startswith("_"))))
                return _fn(*args, **kwargs)

            monkeypatch.setattr(module, name, recorded)


@pytest.fixture(scope="module")
def warm_moons():
    """The schedules', the Forward and Posterior pages' and the moons model's defaults, warmed as at start-up;
    returns the cached views the warm-up asked for."""
    torch.set_num_threads(1)
    calls = set()
    with pytest.MonkeyPatch.context() as mp:
        recording(mp, calls)
        warmup.schedules()
        warmup.forward_and_posterior()
        warmup.checkpoint_defaults("moons")
    return calls


def kept(request) -> dict:
    result = shared.compute_service().results.get(request.key)
    assert result is not None, f"{request} was not kept"
    return result


@needs_moons
def test_warm_samples_are_the_references(warm_moons):
    """Are the kept default samples of moons (DDPM, 2000 points, seed 0) those `reference.sample_ddpm` draws from a
    generator seeded 0, with a 101-frame trajectory?"""
    out = kept(SampleRequest("moons", "ddpm", 2000, 0))
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
    for spec, name in zip(schedule.DEFAULTS.specs(), ("linear", "cosine")):
        s = reference.Schedule.from_name(name, 1000)
        np.testing.assert_array_equal(schedule.schedule_curves(spec)["alpha_bar"], s.alpha_bar.numpy())


@needs_moons
def test_pages_opened_after_the_warm_up_compute_nothing(warm_moons, monkeypatch):
    """Do the Sampling and ELBO pages, opened on their defaults after the warm-up, find their samples and bounds
    kept, running no job at all?"""
    monkeypatch.setattr(jobs, "run_batch", lambda *args: pytest.fail(f"the page computed {args[0]}"))
    at = open_page("sampling")
    assert any("this result came from the cache" in c.value for c in at.caption)
    open_page("elbo")


@needs_moons
@pytest.mark.parametrize("page", ["schedule", "forward", "posterior", "elbo"])
def test_pages_ask_for_no_view_the_warm_up_left_out(warm_moons, page, monkeypatch):
    """Does each page, opened on its defaults, ask only for the cached views the warm-up computed, with the same
    arguments?"""
    calls = set()
    recording(monkeypatch, calls)
    open_page(page)
    assert calls, f"the {page} page asked for none of the warmed views"
    assert calls <= warm_moons, sorted(calls - warm_moons)


def test_the_warm_up_starts_only_under_a_server():
    """Does AppTest (no Streamlit runtime) leave the warm-up unstarted, so that page tests do not pay for it?"""
    assert warmup.start() is False
