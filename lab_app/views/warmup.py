"""The pages' first views, computed once per server process at start-up, in the background, so that the first
student to open a page finds them in the shared caches instead of waiting for them.

What it computes are the views of each page's DEFAULTS (its views module's first widget values, which the page reads
too): the Schedule page's schedules with the data noised at its default t; the Forward process page's chains, jump and
digit strip and the Posterior page's curves and 1-D example; for every shipped checkpoint the Sampling page's default
samples and trajectory and the ELBO page's default bound for each variance (through the compute service, whose kept
results every session shares); the Latent page's default view and grids. Computing rather than shipping them keeps
them equal to what the reference computes today, with nothing more to commit; the price is about a minute of one
core after each start, before the class arrives (`start` runs it in a thread at low priority; its samples and bounds
queue in the compute service, also at low priority, like any request, and a student asking for the same one shares
its run).
"""
from __future__ import annotations

import gc
import threading
import time

from streamlit import runtime
from streamlit.logger import get_logger

from lab_app.server.compute.host import lower_this_thread
from lab_app.server.settings import settings
from lab_app.views import elbo, forward, latent, posterior, sampling, schedule, shared
from lab_app.views.shared import SCHEDULE_DEFAULTS
from reference import checkpoints
from reference.families import latent as latent_models

log = get_logger(__name__)  # Streamlit's: its lines go to the server's log
_started = threading.Lock()


def schedules() -> None:
    """The Schedule page's default curves, downloads and noised data."""
    d = schedule.DEFAULTS
    specs = d.specs()
    t = d.t(max(spec[1] for spec in specs)) - 1  # code's index of the slider's paper t
    for spec in specs:
        shared.schedule_label(spec)
        schedule.schedule_curves(spec)
        schedule.schedule_files(spec)
        shared.toy_data(d.dataset, d.points, d.seed)
        schedule.noised_toy(spec, d.dataset, d.points, min(t, spec[1] - 1), d.seed)
        schedule.noised_digits(spec, d.digits, min(t, spec[1] - 1), d.seed)


def forward_and_posterior() -> None:
    """The Forward process and Posterior pages' default views."""
    f, p = forward.DEFAULTS, posterior.DEFAULTS
    spec = SCHEDULE_DEFAULTS.spec(f.kind)
    T = spec[1]
    forward.forward_variance(spec, f.dataset, f.n, f.seed)
    forward.forward_at(spec, f.dataset, f.n, f.seed, f.t(T) - 1)
    forward.forward_digit(spec, f.digit, f.seed, tuple(t - 1 for t in f.digit_ts(T)))
    spec = SCHEDULE_DEFAULTS.spec(p.kind)
    t = p.t(spec[1]) - 1
    posterior.posterior_curves(spec)
    posterior.posterior_1d(spec, p.x0, posterior.draw_x_t(spec, p.x0, t, p.seed), t)


def checkpoint_defaults(name: str) -> None:
    """A shipped model's default samples (with their trajectory) and its default bound, each variance."""
    kind = "image" if shared.is_image_model(name) else "points"
    s, e = sampling.DEFAULTS, elbo.DEFAULTS
    n = s.n[kind]
    shared.samples(name, s.sampler[kind], n, s.seed, s.ddim_steps, s.spacing, s.eta, s.variance)
    if kind == "points":
        shared.held_out(name, n)
    for variance in e.variances:
        shared.bound(name, e.n[kind], variance, e.seed)
        elbo.weight_over_simple(name, variance)


def latent_defaults() -> None:
    """The Latent page's default view and its grids, for each latent size."""
    d = latent.DEFAULTS
    sampler = latent.SAMPLERS[d.sampler]
    for latent_dim in latent_models.LATENT_DIMS:
        latent.latent_view(latent_dim, sampler, d.steps, d.seed)
        for source in latent.SOURCES:
            latent.latent_grid(source, latent_dim, sampler, d.steps, d.n, d.seed)


def run() -> float:
    """Every default above, the default model first; returns the seconds it took. A failure is logged and skipped:
    the page computes that view when opened, as it would without a warm-up."""
    start = time.perf_counter()
    names = sorted(checkpoints.available_checkpoints(), key=lambda name: name != "moons")
    steps = [(schedules, ()), *((checkpoint_defaults, (name,)) for name in names[:1]), (forward_and_posterior, ()),
             *((checkpoint_defaults, (name,)) for name in names[1:]), (latent_defaults, ())]
    for step, args in steps:
        try:
            step(*args)
        except Exception:  # noqa: BLE001 (a warm-up must not take the server down)
            log.exception("warm-up: %s%s failed", step.__name__, args)
    seconds = time.perf_counter() - start
    # What is alive now (the modules, models and default views) lives as long as the server: moved out of the
    # collector's generations, a full collection no longer walks its ~250 000 objects (0.1–0.2 s each time, one core).
    gc.freeze()
    log.info("warm-up: the pages' defaults computed in %.1f s", seconds)
    return seconds


def start() -> bool:
    """Start `run` in a background thread, once per process and only under `streamlit run` (not under AppTest or
    when DDPM_LAB_WARMUP=0); whether this call started it."""
    serving = runtime.exists() and type(runtime.get_instance()) is runtime.Runtime  # AppTest's is a stand-in
    if not settings().warmup or not serving or not _started.acquire(blocking=False):
        return False

    def low_priority_run() -> None:
        lower_this_thread()
        run()

    threading.Thread(target=low_priority_run, name="ddpm-lab-warmup", daemon=True).start()
    return True
