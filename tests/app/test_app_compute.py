"""The lab's compute service (issue 16, item 3): do batched requests get the samples they would get alone, do tickets
report their place in the queue in order, does a failing request fail alone, do kept results stay within their
budget, and does a Dask cluster give the same samples?"""
import logging

import numpy as np
import pytest
import torch
from distributed import Client, LocalCluster

import reference
from lab_app.server.compute import BoundRequest, ComputeService, SampleRequest
from lab_app.server.compute import jobs
from lab_app.server import models
from lab_app.server.compute.service import OnDask
from lab_app.server.compute.results import BoundedResults
from reference.checkpoints import CheckpointNotFoundError
from test_app import _keep_torch_threads, needs_moons  # noqa: F401 (an autouse fixture)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)  # as the app's; _keep_torch_threads gives the test's back


@pytest.fixture
def service():
    s = ComputeService()
    yield s
    s.close()


def alone(request: SampleRequest) -> np.ndarray:
    """The request's samples by the reference's own sampler, from a generator seeded as the request says."""
    ckpt = models.checkpoint(request.name)
    generator = torch.Generator().manual_seed(request.seed)
    shape = (request.n, *ckpt.example_shape)
    if request.sampler == "ddpm":
        x0 = reference.sample_ddpm(ckpt.model, shape, ckpt.schedule, generator=generator, variance=request.variance,
                                   clip_x0=ckpt.sampling.clip_x0, prediction=ckpt.prediction)
    else:
        x0 = reference.sample_ddim(ckpt.model, shape, ckpt.schedule, request.ddim_steps, request.eta,
                                   spacing=request.spacing, generator=generator, clip_x0=ckpt.sampling.ddim_clip_x0,
                                   prediction=ckpt.prediction)
    return x0.numpy()


def submit_together(service: ComputeService, requests):
    """Submit while the worker cannot take any, so that it finds them all queued."""
    with service._changed:
        return [service.submit(r) for r in requests]


@needs_moons
@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_a_batched_request_gets_the_samples_it_would_get_alone(service, sampler):
    """Do three requests of one model and sampler, different n and seeds, run as one batch and each get the samples
    the reference's sampler draws for its seed alone (DDIM with η = 0.5, so that each step draws noise)?"""
    requests = [SampleRequest("moons", sampler, n, seed, ddim_steps=20, eta=0.5)
                for n, seed in [(40, 0), (25, 7), (60, 3)]]
    tickets = submit_together(service, requests)
    outs = [t.value(timeout=120) for t in tickets]
    assert [t.batch for t in tickets] == [3, 3, 3] and [o["batch"] for o in outs] == [3, 3, 3]
    for request, out in zip(requests, outs):
        assert out["x0"].shape == (request.n, 2)
        np.testing.assert_allclose(out["x0"], alone(request), atol=1e-4, rtol=1e-4)
        np.testing.assert_array_equal(out["x_t"][-1], out["x0"])  # the trajectory ends at the sample
    assert not np.allclose(outs[0]["x0"][:25], outs[1]["x0"])  # the seeds matter


def test_tickets_report_their_place_in_the_queue_in_order(service):
    """Do queued requests (bounds, which never share a run) report 0, 1, 2, 3 requests ahead, and does each count
    fall to 0 as the queue drains, every one finishing?"""
    tickets = submit_together(service, [BoundRequest("moons", 16, "fixed_large", seed) for seed in range(4)])
    assert [t.ahead for t in tickets] == [0, 1, 2, 3]
    seen = [[] for _ in tickets]
    while not tickets[-1].finished:
        for ticket, places in zip(tickets, seen):
            places.append(ticket.ahead)
        tickets[-1].wait(0.01)
    for places in seen:
        assert places == sorted(places, reverse=True)  # never moves back
    assert all(t.value()["n"] == 16 for t in tickets) and [t.ahead for t in tickets] == [0, 0, 0, 0]


def test_equal_requests_share_one_ticket_and_a_kept_result_is_free(service):
    """Is an equal request's ticket the queued one, and once done, is asking again answered at once from the kept
    result?"""
    request = SampleRequest("moons", "ddim", 30, 1, ddim_steps=10)
    first, second = submit_together(service, [request, request])
    assert first is second and first.watchers == 2
    out = first.value(timeout=60)
    again = service.submit(request)
    assert again.finished and again.value() is out


def test_a_failing_request_fails_alone_and_the_service_goes_on(service):
    """Does a request for a missing model, and a DDIM request with more steps than T, each report its own error to
    its ticket, while requests around them (one in the same batch as the bad DDIM one) finish?"""
    bad_model = SampleRequest("no_such_model", "ddim", 10, 0)
    bad_steps = SampleRequest("moons", "ddim", 10, 0, ddim_steps=5000)
    good = SampleRequest("moons", "ddim", 10, 0, ddim_steps=10)
    tickets = submit_together(service, [bad_model, bad_steps, good])
    with pytest.raises(CheckpointNotFoundError, match="no_such_model"):
        tickets[0].value(timeout=60)
    with pytest.raises(ValueError, match="steps must be an integer in"):
        tickets[1].value(timeout=60)
    assert tickets[2].value(timeout=60)["x0"].shape == (10, 2)
    assert service.submit(SampleRequest("moons", "ddim", 12, 0, ddim_steps=10)).value(timeout=60)["x0"].shape == (12, 2)


def test_a_request_nobody_waits_for_leaves_the_queue(service):
    """When the only session waiting for a queued request stops waiting, is it cancelled and out of the queue?"""
    head, queued = submit_together(service, [BoundRequest("moons", 16, "fixed_large", 0),
                                             SampleRequest("moons", "ddim", 10, 5, ddim_steps=10)])
    with service._changed:
        queued.release()
        assert queued.state == "cancelled" and queued.finished and queued not in service._queue
    with pytest.raises(RuntimeError, match="cancelled"):
        queued.value()
    head.value(timeout=60)


def test_kept_results_stay_within_their_byte_budget():
    """Does the result cache drop the least recently used result when a new one would pass max_bytes, and refuse one
    larger than the whole budget?"""
    kept = BoundedResults(max_bytes=3000)
    kept.put("a", {"x": np.zeros(100)})  # 800 bytes each
    kept.put("b", {"x": np.zeros(100)})
    kept.put("c", {"x": np.zeros(100)})
    kept.get("a")  # used: "b" is now the oldest
    kept.put("d", {"x": np.zeros(100), "t": [1, 2]})
    assert "b" not in kept and {"a", "c", "d"} <= {k for k in "abcd" if k in kept}
    assert kept.bytes == 2400 <= kept.max_bytes
    kept.put("huge", np.zeros(1000))
    assert "huge" not in kept and len(kept) == 3


def test_the_service_evicts_old_results_and_computes_them_again():
    """With room for one result, is the first request computed again after a second one, and the second free?"""
    service = ComputeService(max_result_bytes=8_000)  # one 30-point 10-step DDIM result with its trajectory: 5280 B
    try:
        a, b = (SampleRequest("moons", "ddim", 30, seed, ddim_steps=10) for seed in (0, 1))
        first = service.submit(a).value(timeout=60)
        service.submit(b).value(timeout=60)
        assert service.results.bytes <= 8_000 and len(service.results) == 1
        assert service.submit(b).finished
        again = service.submit(a)
        np.testing.assert_array_equal(again.value(timeout=60)["x0"], first["x0"])
    finally:
        service.close()


def test_a_dask_cluster_gives_the_same_samples():
    """On a real Dask LocalCluster, does a batch of two requests run as one task and give the samples the reference
    draws alone?"""
    requests = [SampleRequest("moons", "ddim", 20, 0, ddim_steps=10, eta=1.0),
                SampleRequest("moons", "ddim", 30, 4, ddim_steps=10, eta=1.0)]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        service = ComputeService(executor=OnDask(client))
        try:
            tickets = submit_together(service, requests)
            outs = [t.value(timeout=120) for t in tickets]
        finally:
            service.close()
    for request, out in zip(requests, outs):
        assert out["batch"] == 2
        np.testing.assert_allclose(out["x0"], alone(request), atol=1e-4, rtol=1e-4)


def test_a_dask_task_reports_its_steps_while_it_runs():
    """On a real Dask LocalCluster, does a 1000-step DDPM batch's progress reach its ticket before the result does
    (done of 1000, with a preview of x̂0), read back from the task's Variable?"""
    request = SampleRequest("moons", "ddpm", 2000, 3)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        service = ComputeService(executor=OnDask(client))
        try:
            ticket = service.submit(request)
            seen = []
            while not ticket.wait(0.05):
                if ticket.total:
                    seen.append((ticket.done, ticket.total, ticket.preview))
            out = ticket.value()
        finally:
            service.close()
    assert seen, "no progress reached the ticket before the result"
    done, total, preview = seen[-1]
    assert total == 1000 and 0 < done <= 1000 and preview.shape == (jobs.PREVIEW_ROWS, 2)
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)  # never goes back
    np.testing.assert_allclose(out["x0"], alone(request), atol=1e-4, rtol=1e-4)


def test_bad_requests_are_named():
    """Are a bad sampler, n and frames refused with a message naming them?"""
    with pytest.raises(ValueError, match="sampler must be one of"):
        SampleRequest("moons", "Euler", 10, 0)
    with pytest.raises(ValueError, match="n must be a positive integer; got 0"):
        SampleRequest("moons", "ddpm", 0, 0)
    with pytest.raises(ValueError, match="frames must be an integer of at least 2"):
        SampleRequest("moons", "ddpm", 10, 0, frames=1)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        BoundRequest("moons", -1, "fixed_large", 0)
