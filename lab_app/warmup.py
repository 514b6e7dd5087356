"""The pages' first views, computed once per server process at start-up, in the background, so that the first
student to open a page finds them in the shared caches instead of waiting for them.

What it computes are the pages' default widget values: the Schedule page's two schedules (linear and cosine, T = 1000)
with the moons points and digits noised at its default t; the Forward process page's chains, jump and digit strip and
the Posterior page's curves and 1-D example, on the linear schedule; for every shipped checkpoint the Sampling page's
default
samples and trajectory and the ELBO page's default bound for both variances (through the compute service, whose
kept results every session shares); the Latent page's default view and grids. Computing rather than shipping them
keeps them equal to what the reference computes today, with nothing more to commit; the price is about a minute of
one core after each start, before the class arrives (`start` runs it in a thread at low priority; its samples and
bounds queue in the compute service, also at low priority, like any request, and a student asking for the same one
shares its run). A page whose
defaults change should change DEFAULTS here too: tests/test_app_warmup.py opens them after a warm-up and checks that
no sampling or bound was left to compute.
"""
from __future__ import annotations

import gc
import os
import threading
import time

from streamlit import runtime
from streamlit.logger import get_logger

from lab_app import cache
from lab_app.compute.host import lower_this_thread
from reference import checkpoints
from reference.families import latent

log = get_logger(__name__)  # Streamlit's: its lines go to the server's log
DEFAULT_SCHEDULES = (("linear", 1000, (), False), ("cosine", 1000, (("s", 0.008), ("max_beta", 0.999)), False))
SCHEDULE_T, SCHEDULE_DATA, SCHEDULE_POINTS, SCHEDULE_DIGITS = 249, "moons", 500, 8  # the Schedule page's noised view
SAMPLING = {"image": ("DDIM", 16), "points": ("DDPM", 2000)}  # the Sampling page's sampler and n
BOUND_N = {"image": 4, "points": 128}  # the ELBO page's held-out examples
VARIANCES = ("fixed_large", "fixed_small")
FORWARD = {"data": "moons", "n": 4000, "seed": 0, "t": 99, "digit": 0, "digit_ts": (9, 49, 99, 249, 499, 999)}
POSTERIOR = {"x0": 1.0, "t": 99, "seed": 0}
LATENT = {"sampler": "ddim", "steps": 50, "n": 32, "seed": 0, "sources": ("prior", "latent", "pixel")}

_started = threading.Lock()


def schedules() -> None:
    """The Schedule page's default curves, downloads and noised data."""
    for spec in DEFAULT_SCHEDULES:
        cache.schedule_label(spec)
        cache.schedule_curves(spec)
        cache.schedule_files(spec)
        cache.toy_data(SCHEDULE_DATA, SCHEDULE_POINTS, 0)
        cache.noised_toy(spec, SCHEDULE_DATA, SCHEDULE_POINTS, SCHEDULE_T, 0)
        cache.noised_digits(spec, SCHEDULE_DIGITS, SCHEDULE_T, 0)


def forward_and_posterior() -> None:
    """The Forward process and Posterior pages' default views, on the linear schedule."""
    spec, f, p = DEFAULT_SCHEDULES[0], FORWARD, POSTERIOR
    cache.forward_variance(spec, f["data"], f["n"], f["seed"])
    cache.forward_at(spec, f["data"], f["n"], f["seed"], f["t"])
    cache.forward_digit(spec, f["digit"], f["seed"], f["digit_ts"])
    cache.posterior_curves(spec)
    cache.posterior_1d(spec, p["x0"], cache.draw_x_t(spec, p["x0"], p["t"], p["seed"]), p["t"])


def checkpoint_defaults(name: str) -> None:
    """A shipped model's default samples (with their trajectory) and its default bound, both variances."""
    kind = "image" if cache.is_image_model(name) else "points"
    sampler, n = SAMPLING[kind]
    cache.samples(name, sampler, n, 0, 50, "trailing", 0.0, "fixed_large")
    if kind == "points":
        cache.held_out(name, n)
    for variance in VARIANCES:
        cache.bound(name, BOUND_N[kind], variance, 0)
        cache.weight_over_simple(name, variance)


def latent_defaults() -> None:
    """The Latent page's default view and its three grids, for each latent size."""
    for latent_dim in latent.LATENT_DIMS:
        cache.latent_view(latent_dim, LATENT["sampler"], LATENT["steps"], LATENT["seed"])
        for source in LATENT["sources"]:
            cache.latent_grid(source, latent_dim, LATENT["sampler"], LATENT["steps"], LATENT["n"], LATENT["seed"])


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
    if os.environ.get("DDPM_LAB_WARMUP", "1") == "0" or not serving or not _started.acquire(blocking=False):
        return False

    def low_priority_run() -> None:
        lower_this_thread()
        run()

    threading.Thread(target=low_priority_run, name="ddpm-lab-warmup", daemon=True).start()
    return True
