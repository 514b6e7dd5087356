"""Every DDPM_LAB_* environment variable the lab reads, read once per server process into one typed `Settings`.

    from lab_app.server.settings import settings
    settings().threads                      # DDPM_LAB_THREADS, 1 unless set

A value that cannot be read stops with a ValueError naming the variable and what it accepts. Changing a variable
means restarting the lab; tests that change one call `settings.cache_clear()` (or build `Settings.from_environ`).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Literal, Mapping

ComputeMode = Literal["process", "thread"]
COMPUTE_MODES: tuple[ComputeMode, ...] = ("process", "thread")


@dataclass(frozen=True)
class Settings:
    """The lab's settings; each field names its variable and its default."""

    threads: int = 1
    """DDPM_LAB_THREADS: torch threads of each page run. The lab's models are small and every session computes in
    its own thread, so one each keeps OpenMP workers from spinning against each other."""

    concurrent_scripts: int = 1
    """DDPM_LAB_CONCURRENT_SCRIPTS: how many page runs and fragment reruns execute at once (server/admission.py)."""

    open_assignments: tuple[str, ...] = ()
    """DDPM_LAB_OPEN_ASSIGNMENTS: comma-separated assignments whose answering code the lab hides (course mode,
    ui/course_mode.py, which checks the names against the course); empty: nothing is hidden."""

    warmup: bool = True
    """DDPM_LAB_WARMUP: 0 turns off computing the pages' defaults at start-up (views/warmup.py); 1 leaves it on."""

    training_slots: int | None = None
    """DDPM_LAB_TRAINING_SLOTS: how many Training-page runs may step at once (server/training.py); None: one per CPU
    core."""

    compute: ComputeMode = "process"
    """DDPM_LAB_COMPUTE: where the compute service runs its batches: "process" (a child process at the lowest
    priority, server/compute/process.py) or "thread" (the service's own thread)."""

    compute_threads: int | None = None
    """DDPM_LAB_COMPUTE_THREADS: torch threads of the compute process; None: all cores but one."""

    dask_scheduler: str | None = None
    """DDPM_LAB_DASK_SCHEDULER: a Dask scheduler's address (tcp://HOST:8786); when set, batches run on that cluster
    instead of in a compute process."""

    compute_workers: int = 4
    """DDPM_LAB_COMPUTE_WORKERS: batches in flight at once on the Dask cluster."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` gives; unset or empty variables keep their defaults."""
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        def positive(name: str, default: int | None) -> int | None:
            value = get(name)
            if value is None:
                return default
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
            return number

        warmup = get("DDPM_LAB_WARMUP")
        if warmup not in (None, "0", "1"):
            raise ValueError(f"DDPM_LAB_WARMUP must be 0 or 1; got {warmup!r}")
        compute = get("DDPM_LAB_COMPUTE") or "process"
        if compute not in COMPUTE_MODES:
            raise ValueError(f"DDPM_LAB_COMPUTE must be 'process' or 'thread'; got {compute!r}")
        names = get("DDPM_LAB_OPEN_ASSIGNMENTS") or ""
        return cls(threads=positive("DDPM_LAB_THREADS", 1),
                   concurrent_scripts=positive("DDPM_LAB_CONCURRENT_SCRIPTS", 1),
                   open_assignments=tuple(name.strip() for name in names.split(",") if name.strip()),
                   warmup=warmup != "0",
                   training_slots=positive("DDPM_LAB_TRAINING_SLOTS", None),
                   compute=compute,
                   compute_threads=positive("DDPM_LAB_COMPUTE_THREADS", None),
                   dask_scheduler=get("DDPM_LAB_DASK_SCHEDULER"),
                   compute_workers=positive("DDPM_LAB_COMPUTE_WORKERS", 4))


@functools.cache
def settings() -> Settings:
    """The server process's settings, read from its environment on first use."""
    return Settings.from_environ(os.environ)
