"""The work itself, as plain functions of requests: a batch of sample requests through one run of the reference's
step generator, or a bound through `reference.vlb_terms`. They run in the compute process (child.py), in the
service's thread or on a Dask worker; each process loads a shipped model once (lab_app/server/models.py) and shares it
with every session.

`run_batch(requests, progress)` is what the service calls: `progress(done, total, previews)`, previews[i] the first
`PREVIEW_ROWS` rows of the model's current x̂0 of requests[i] as a NumPy array (None for a bound), at most every
`PROGRESS_EVERY_S` and after the last step.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch

import reference
from lab_app.server.models import checkpoint, held_out

from .requests import BoundRequest, SampleRequest

Progress = Callable[[int, int, list], None]
BOUND_CHUNK_NUMBERS = 32_768  # x_t of one chunk of the bound's timesteps: 16 384 2-D points or 512 digits (~60 MB of
# U-Net activations, against ~430 MB for the reference's default 4 000 rows of the ELBO page's 4 digits × T)
PREVIEW_ROWS = 512  # of each request's x̂0 in a progress report: more than a page's live preview draws
PROGRESS_EVERY_S = 0.2  # between progress reports: a page redraws its bar every 0.6 s


def _kept(total: int, frames: int) -> set[int]:
    """`frames` evenly spaced step indices of `total`, the first and the last included."""
    return set(np.linspace(0, total - 1, min(frames, total)).round().astype(int).tolist())


def sample_batch(requests: Sequence[SampleRequest], progress: Progress | None = None) -> list[dict]:
    """Samples for requests of one `batch_key`, by one run of `reference.ddpm_steps` or `ddim_steps` over all their
    rows: one forward pass per step. Each request draws its x_T and then each step's z from its own generator, in
    the order a solo run draws them, so its samples are those of a run alone (up to float rounding of the batched
    forward pass).

    Returns, per request, the final samples x0 (n, *S), the trajectory's x_t (F + 1, n, *S, the sample last) and
    x0_pred (F, n, *S) at the 0-indexed `timesteps` (F,), the batch's seconds, its size and the device.
    """
    first = requests[0]
    if any(r.batch_key != first.batch_key for r in requests):
        raise ValueError(f"a batch needs one batch_key; got {sorted({r.batch_key for r in requests})}")
    ckpt = checkpoint(first.name)
    device = reference.default_device()
    schedule = ckpt.schedule.to(device)
    shape = ckpt.example_shape
    generators = [torch.Generator(device=device).manual_seed(r.seed) for r in requests]

    def draw(_step: int | None = None) -> torch.Tensor:  # (B, *S): each request's rows from its own generator
        return torch.cat([torch.randn((r.n, *shape), generator=g, device=device) for r, g in zip(requests, generators)])

    x_T = draw()
    if first.sampler == "ddpm":
        steps = reference.ddpm_steps(ckpt.model, x_T, schedule, noises=draw, variance=first.variance,
                                     clip_x0=ckpt.sampling.clip_x0, prediction=ckpt.prediction)
        total = schedule.T
    else:
        timesteps = reference.ddim_timesteps(schedule.T, first.ddim_steps, first.spacing)
        steps = reference.ddim_steps(ckpt.model, x_T, schedule, timesteps, first.eta, noises=draw,
                                     clip_x0=ckpt.sampling.ddim_clip_x0, prediction=ckpt.prediction)
        total = len(timesteps)
    bounds = np.cumsum([0] + [r.n for r in requests]).tolist()
    rows = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    kept = [_kept(total, r.frames) for r in requests]
    # Each request's trajectory is allocated before the run and filled in place: kept arrays allocated step by step
    # between the steps' temporaries would split the heap and keep a 16-request batch's peak near four times its size.
    dtype = x_T.new_empty(()).cpu().numpy().dtype
    trails = [{"timesteps": [], "x_t": np.empty((len(keep) + 1, r.n, *shape), dtype),
               "x0_pred": np.empty((len(keep), r.n, *shape), dtype)} for r, keep in zip(requests, kept)]
    start = time.perf_counter()
    for i, step in enumerate(steps):
        for keep, trail, row in zip(kept, trails, rows):
            if i in keep:
                frame = len(trail["timesteps"])
                trail["timesteps"].append(step.t)
                trail["x_t"][frame] = step.x_t[row].cpu().numpy()
                trail["x0_pred"][frame] = step.x0_pred[row].cpu().numpy()
        if progress is not None:
            progress(i + 1, total, [step.x0_pred[row] for row in rows])
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    x0 = step.x_prev.cpu().numpy()
    for trail, row in zip(trails, rows):
        trail["x_t"][-1] = x0[row]
    return [{"x0": x0[row].copy(), **trail, "seconds": seconds, "batch": len(requests),
             "device": reference.device_name(device)} for trail, row in zip(trails, rows)]


def bound(request: BoundRequest, progress: Progress | None = None) -> dict:
    """Every term of the bound (eq. 5) on the request's held-out examples, with the checkpoint's decoder and x̂0
    clipping (`Checkpoint.sampling`), summarised by `reference.summarize_bound`; in chunks of timesteps small enough
    that a server's memory stays bounded (BOUND_CHUNK_NUMBERS)."""
    ckpt = checkpoint(request.name)
    x0 = held_out(request.name, request.n).to(reference.default_device())
    start = time.perf_counter()
    vlb = reference.vlb_terms(ckpt.model, x0, ckpt.schedule.to(x0.device), variance=request.variance,
                              decoder=ckpt.sampling.decoder, clip_x0=ckpt.sampling.clip_x0, seed=request.seed,
                              max_rows=max(1, BOUND_CHUNK_NUMBERS // x0[0].numel()),
                              progress=None if progress is None else lambda done, total: progress(done, total, [None]),
                              prediction=ckpt.prediction)
    summary = reference.summarize_bound(vlb)
    return {"per_term": summary.per_term.cpu().numpy(), "cumulative": summary.cumulative.cpu().numpy(),
            "total": summary.total, "total_se": summary.total_se, "reconstruction": summary.reconstruction,
            "denoising": summary.denoising, "prior": summary.prior, "n": summary.n, "dims": vlb.dims,
            "seconds": time.perf_counter() - start}


def every(progress: Progress, seconds: float = PROGRESS_EVERY_S) -> Progress:
    """`progress` called at most every `seconds` and at the end (done == total), each tensor of previews turned into
    a NumPy array of its first PREVIEW_ROWS rows: the step loop reports every step, the page needs a few a second."""
    due = 0.0

    def report(done: int, total: int, previews: list) -> None:
        nonlocal due
        now = time.monotonic()
        if now < due and done < total:
            return
        due = now + seconds
        progress(done, total, [None if p is None else p[:PREVIEW_ROWS].cpu().numpy() for p in previews])

    return report


def run_batch(requests: Sequence[SampleRequest | BoundRequest], progress: Progress | None = None) -> list[dict]:
    """The results of a batch of one batch_key, in order: sample requests in one run, a bound alone; progress reported
    through `every`."""
    progress = None if progress is None else every(progress)
    if isinstance(requests[0], SampleRequest):
        return sample_batch(requests, progress)
    if len(requests) != 1:
        raise ValueError(f"bounds run one at a time; got a batch of {len(requests)}")
    return [bound(requests[0], progress)]


def run_batch_on_dask(requests: Sequence[SampleRequest | BoundRequest], variable: str) -> list[dict]:
    """`run_batch` as a Dask task: each progress report is set on the cluster's `distributed.Variable` named `variable`,
    where the server that submitted the task reads the latest."""
    from distributed import Variable

    reports = Variable(variable)
    return run_batch(requests, lambda *report: reports.set(report))
