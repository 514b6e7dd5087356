"""Algorithm 1 live: one `reference.train.Trainer` per session, stepped in a worker thread that the Training page
starts, stops and resumes, and whose loss log and samples the page draws a few times a second.

Why a thread: Streamlit holds a click inside a running fragment until that run ends, so a training loop inside the
page could not be stopped by its own Stop button; the thread stops between two steps. It also pauses itself when the
page has not looked at it for IDLE_S seconds (the tab closed, or another page opened), so a forgotten run does not
keep a core busy. Nothing here computes: the steps are `Trainer.step`, the rows `LossLog`'s (those of the command
line's .loss.csv), the samples `reference.sample_ddim`'s.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

import reference
from reference.train import LossLog, Trainer

IDLE_S = 30.0  # pause when the page has not drawn the run for this long


@dataclass(frozen=True)
class Snapshot:
    """Samples x0 (n, *S) drawn by DDIM from the EMA model after `step` steps."""

    step: int
    x0: np.ndarray


class TrainingRun:
    """A Trainer, how far to take it, and what it has logged: the loss rows and a sample snapshot every
    `sample_every` steps (and at step 0 and at the last step), each drawn from the same x_T, so that the snapshots
    differ only by what the model learned in between."""

    def __init__(self, trainer: Trainer, *, total: int, sample_every: int, n_samples: int, ddim_steps: int,
                 clip_x0: float, sample_seed: int = 0):
        self.trainer = trainer
        self.total, self.sample_every = total, sample_every
        self.n_samples, self.ddim_steps, self.clip_x0, self.sample_seed = n_samples, ddim_steps, clip_x0, sample_seed
        self.loss_log = LossLog(trainer.cfg.log_every)
        self.rows: list[tuple[int, float]] = []  # (step, mean L_simple of the steps since the previous row)
        self.snapshots: list[Snapshot] = []
        self.train_seconds = 0.0  # wall time inside Trainer.step, for steps per second
        self.sample_seconds = 0.0
        self.error: str | None = None
        self.paused_idle = False
        self.seen = time.monotonic()  # when the page last drew this run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def steps_done(self) -> int:
        return self.trainer.steps_done

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        return self.steps_done >= self.total

    def steps_per_second(self) -> float | None:
        """Steps of Algorithm 1 per second of their own wall time (sampling and drawing left out)."""
        return self.steps_done / self.train_seconds if self.train_seconds > 0 else None

    def start(self) -> None:
        """Start or resume stepping towards `total` in a worker thread (nothing if already running or finished)."""
        if self.running or self.finished or self.error:
            return
        self._stop.clear()
        self.paused_idle = False
        self.seen = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="ddpm-lab-training", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the step in progress and wait for it, so that `steps_done` no longer moves."""
        self._stop.set()
        self.wait(timeout)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the thread ends: finished, stopped, paused or failed."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        try:
            if not self.snapshots:
                self._sample()  # step 0: the untrained model
            while not self.finished and not self._stop.is_set():
                if time.monotonic() - self.seen > IDLE_S:
                    self.paused_idle = True
                    return
                start = time.perf_counter()
                loss = self.trainer.step()
                self.train_seconds += time.perf_counter() - start
                step = self.steps_done
                row = self.loss_log.add(step, loss, last=step == self.total)
                if row is not None:
                    self.rows.append(row)
                if step % self.sample_every == 0 or step == self.total:
                    self._sample()
        except Exception as e:  # shown on the page; the run cannot continue
            self.error = f"{type(e).__name__}: {e}"

    def _sample(self) -> None:
        """DDIM samples from the EMA model now, from the run's fixed x_T (its own generator, not the training one)."""
        start = time.perf_counter()
        trainer = self.trainer
        generator = torch.Generator(device=trainer.device).manual_seed(self.sample_seed)
        shape = (self.n_samples, *trainer.x0_all.shape[1:])
        x0 = reference.sample_ddim(trainer.ema, shape, trainer.schedule, steps=min(self.ddim_steps, trainer.cfg.T),
                                   generator=generator, clip_x0=self.clip_x0)
        self.snapshots.append(Snapshot(self.steps_done, x0.cpu().numpy()))
        self.sample_seconds += time.perf_counter() - start
