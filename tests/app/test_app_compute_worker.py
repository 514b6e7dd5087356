"""The compute service's child process (lab_app/server/compute/process.py, issue 16): does a batch run there give the samples
the reference draws alone, with progress and previews coming back while it runs; does a request's own error come
back to it; does the child run at the lowest priority; and when the child is killed mid-batch, do the students still
get their samples (or, killed again and again, a clear error while the service goes on)?"""
import os
import signal
import threading
import time

import numpy as np
import psutil
import pytest

from lab_app.server.compute import ComputeService, SampleRequest
from lab_app.server.compute import jobs
from lab_app.server.compute.process import WORKER_NICE, WorkerDied, WorkerProcess
from lab_app.server.settings import Settings
from reference.checkpoints import CheckpointNotFoundError
from test_app import _keep_torch_threads, needs_moons  # noqa: F401 (an autouse fixture)
from test_app_compute import alone, submit_together

pytestmark = needs_moons


@pytest.fixture
def worker():
    return WorkerProcess(threads=1)


@pytest.fixture
def service(worker):
    s = ComputeService(executor=worker)
    yield s
    s.close()


def running(ticket, timeout: float = 60.0) -> None:
    """Wait until the ticket's batch has reported a step from the child."""
    deadline = time.monotonic() + timeout
    while ticket.done == 0:
        assert time.monotonic() < deadline and not ticket.finished, f"no step reported: {ticket.state}"
        time.sleep(0.01)


def test_a_batch_in_the_child_gets_the_samples_it_would_get_alone_with_progress_on_the_way(service, worker):
    """Do two DDPM requests run as one batch in the child, each equal to the reference's sampler alone, with the
    ticket's done/total and a preview (a NumPy array of at most PREVIEW_ROWS rows of x̂0) arriving mid-run?"""
    requests = [SampleRequest("moons", "ddpm", n, seed) for n, seed in [(700, 2), (300, 9)]]
    tickets = submit_together(service, requests)
    seen = []
    while not tickets[1].finished:
        if tickets[0].done:
            seen.append((tickets[0].done, tickets[0].total, tickets[0].preview, tickets[1].preview))
        time.sleep(0.02)
    mid = [s for s in seen if s[0] < s[1]]
    assert mid, "no progress reported before the end"
    done, total, preview_a, preview_b = mid[-1]
    assert total == 1000 and 0 < done < 1000
    assert isinstance(preview_a, np.ndarray) and preview_a.shape == (jobs.PREVIEW_ROWS, 2) and preview_b.shape == (300, 2)
    for request, ticket in zip(requests, tickets):
        out = ticket.value()
        assert out["batch"] == 2
        np.testing.assert_allclose(out["x0"], alone(request), atol=1e-4, rtol=1e-4)
    assert worker.starts == 1 and psutil.Process(worker.pid).nice() == WORKER_NICE


def test_an_error_in_the_child_reaches_its_request_only(service):
    """Does a request for a missing model fail with the reference's own error, named, while the next request runs?"""
    bad = service.submit(SampleRequest("no_such_model", "ddim", 10, 0))
    with pytest.raises(CheckpointNotFoundError, match="no_such_model"):
        bad.value(timeout=60)
    good = service.submit(SampleRequest("moons", "ddim", 10, 0, ddim_steps=10))
    assert good.value(timeout=60)["x0"].shape == (10, 2)


def test_a_child_killed_mid_batch_is_replaced_and_the_batch_rerun(service, worker):
    """Killed with SIGKILL in the middle of a DDPM run, is the child started again and the request still answered
    with its own samples?"""
    request = SampleRequest("moons", "ddpm", 2000, 5)
    ticket = service.submit(request)
    running(ticket)
    first = worker.pid
    os.kill(first, signal.SIGKILL)
    out = ticket.value(timeout=120)
    np.testing.assert_allclose(out["x0"], alone(request), atol=1e-4, rtol=1e-4)
    assert worker.starts == 2 and worker.pid not in (None, first)


def test_a_child_killed_again_and_again_fails_its_batch_clearly_and_the_service_goes_on(service, worker):
    """While every child is killed as soon as it starts, does the request fail with WorkerDied saying so, and once the
    killing stops, does the next request get its samples from a new child?"""
    killed, stop = set(), threading.Event()

    def killer() -> None:
        while not stop.is_set():
            pid = worker.pid
            if pid is not None and pid not in killed:
                killed.add(pid)
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        with pytest.raises(WorkerDied, match="died twice"):
            service.submit(SampleRequest("moons", "ddim", 10, 1, ddim_steps=10)).value(timeout=120)
    finally:
        stop.set()
        thread.join()
    assert len(killed) == 2
    assert service.submit(SampleRequest("moons", "ddim", 10, 2, ddim_steps=10)).value(timeout=60)["x0"].shape == (10, 2)
    assert worker.starts == 3


def test_closing_the_service_ends_the_child(worker):
    """Does the child end with the service, leaving no process behind?"""
    service = ComputeService(executor=worker)
    service.submit(SampleRequest("moons", "ddim", 10, 0, ddim_steps=10)).value(timeout=60)
    pid = worker.pid
    service.close()
    assert worker.pid is None and not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_progress_is_reported_at_most_every_interval_and_at_the_end():
    """Does `jobs.every` pass on a report only after its interval (and always the last), with tensors cut to
    PREVIEW_ROWS rows as NumPy arrays?"""
    import torch
    reports = []
    report = jobs.every(lambda *r: reports.append(r), seconds=3600)
    x0_pred = torch.zeros(jobs.PREVIEW_ROWS + 100, 2)
    for done in range(1, 11):
        report(done, 10, [x0_pred, None])
    assert [(d, t) for d, t, _ in reports] == [(1, 10), (10, 10)]
    preview, none = reports[0][2]
    assert isinstance(preview, np.ndarray) and preview.shape == (jobs.PREVIEW_ROWS, 2) and none is None


def test_bad_worker_settings_are_named():
    """Are zero threads and an unknown DDPM_LAB_COMPUTE refused with a message naming them?"""
    with pytest.raises(ValueError, match="threads must be at least 1; got 0"):
        WorkerProcess(threads=0)
    with pytest.raises(ValueError, match="DDPM_LAB_COMPUTE must be 'process' or 'thread'; got 'gpu-please'"):
        Settings.from_environ({"DDPM_LAB_COMPUTE": "gpu-please"})
