"""What more than one page caches: schedules by spec, toy data, held-out examples, the digits classifier, the
process's one compute service and its samples and bounds, and the figures every session shares.

A schedule travels as a `ScheduleSpec`, a tuple of primitives: ("linear", T, (("beta_end", 0.02),), zero_terminal_snr),
("list", text) for a typed β list or ("file", filename, data) for an upload. Samples and bounds go through the compute
service (lab_app/server/compute/), which queues, batches and keeps them for every session; models load once per
process in lab_app/server/models.py. Every cache here and in the pages' views has max_entries; none has a ttl, which
would expire the warm-up's defaults (lab_app/views/warmup.py) in the middle of a lecture.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import streamlit as st

import reference
from reference import data
from reference import evaluate as quality

from lab_app.server import models
from lab_app.server.compute import BoundRequest, ComputeService, SampleRequest, Ticket
from lab_app.server.settings import settings

ScheduleSpec = tuple
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScheduleDefaults:
    """The schedule widgets' first values (lab_app/ui/widgets.py): T, and each named schedule's parameters (the
    others' β_1 and β_T are left to the reference's defaults)."""

    T: int = 1000
    params: dict[str, dict[str, float]] = field(default_factory=lambda: {"cosine": {"s": 0.008, "max_beta": 0.999}})

    def spec(self, kind: str) -> ScheduleSpec:
        """The ScheduleSpec the widgets read for `kind` before a student changes them."""
        return (kind, self.T, tuple(self.params.get(kind, {}).items()), False)


SCHEDULE_DEFAULTS = ScheduleDefaults()


@st.cache_resource(max_entries=64, show_spinner=False)
def build_schedule(spec: ScheduleSpec) -> reference.Schedule:
    """The Schedule a spec describes; the reference raises ValueError, naming the bad value, for invalid input."""
    kind = spec[0]
    if kind == "list":
        return reference.parse_betas(spec[1])
    if kind == "file":
        return reference.load_schedule(spec[2], spec[1])
    _, T, params, zero_terminal_snr = spec
    return reference.Schedule.from_name(kind, T, zero_terminal_snr=zero_terminal_snr, **dict(params))


def schedule_label(spec: ScheduleSpec) -> str:
    """A short legend label: the schedule's name and T."""
    s = build_schedule(spec)
    return f"{s.name if spec[0] != 'list' else 'custom'} (T={s.T})"


@st.cache_data(max_entries=32, show_spinner=False)
def toy_data(name: str, n: int, seed: int) -> np.ndarray:
    """(n, 2) points of a toy data set."""
    return data.make_toy(name, n, seed).numpy()


@st.cache_resource(max_entries=1, show_spinner=False)
def compute_service() -> ComputeService:
    """The process's one compute service (`ComputeService.from_settings`): batches in a child process at the lowest
    priority, or on the Dask cluster DDPM_LAB_DASK_SCHEDULER names."""
    return ComputeService.from_settings(settings())


@st.cache_resource(max_entries=512, show_spinner=False)
def figure(key: tuple, _build: Callable[[], Any]) -> Any:
    """The plotly figure `_build()` makes, built once per process for `key` and shared by every session: a page's
    rerun then only serialises it. `key` holds every primitive the figure depends on (the arguments of the cached
    arrays it draws, its labels and options), starting with its name. Never mutated: st.plotly_chart copies it."""
    return _build()


def _wait(ticket: Ticket, progress: Progress | None) -> dict:
    """The ticket's result, reporting progress(done, total, x0_pred) while it runs. The wait keeps the page script's
    turn (lab_app/server/admission.py): it may run inside a cached function, whose key's lock a script that took the
    turn meanwhile could wait for."""
    try:
        while not ticket.wait(0.2):
            if progress is not None and ticket.total:
                progress(ticket.done, ticket.total, ticket.preview)
        return ticket.value()
    finally:
        ticket.release()


def is_image_model(name: str) -> bool:
    """Whether a checkpoint models the 8×8 digits (images in [−1, 1]) rather than 2-D points."""
    return models.checkpoint(name).manifest["data"] == "digits"


@st.cache_data(max_entries=32, show_spinner=False)
def held_out(name: str, n: int) -> np.ndarray:
    """n held-out examples of a checkpoint's data, (n, *S)."""
    return models.held_out(name, n).numpy()


@st.cache_resource(max_entries=1, show_spinner=False)
def digits_judge():
    """The digits classifier whose confidence every digits manifest records (reference.evaluate.digits_classifier)."""
    return quality.digits_classifier()


def bound(name: str, n: int, variance: str, seed: int, _progress: Progress | None = None) -> dict:
    """Every term of the bound (eq. 5) on n held-out examples, through the compute service
    (lab_app.server.compute.jobs.bound: `reference.summarize_bound` with the total's standard error), waiting for it."""
    return _wait(compute_service().submit(BoundRequest(name, n, variance, seed)), _progress)


def samples(name: str, sampler: str, n: int, seed: int, ddim_steps: int, spacing: str, eta: float, variance: str,
            frames: int = 101, _progress: Progress | None = None) -> dict:
    """Samples from a shipped model by DDPM (Algorithm 2) or DDIM, through the compute service (`SampleRequest`,
    lab_app.server.compute.jobs.sample_batch), waiting for them: the final samples (n, *S), the trajectory's x_t
    (F + 1, n, *S) and x0_pred (F, n, *S) at the 0-indexed `timesteps` (F,), the seconds, the batch size and the
    device. `_progress(done, total, x0_pred)` sees the latest step's x̂0, for a live preview."""
    request = SampleRequest(name, sampler, n, seed, ddim_steps, spacing, eta, variance, frames)
    return _wait(compute_service().submit(request), _progress)
