"""Algorithm 1 live: one `reference.training.Trainer` per session, stepped in a worker thread that the Training page
starts, stops and resumes, and whose loss log and samples the page draws a few times a second.

Why a thread: Streamlit holds a click inside a running fragment until that run ends, so a training loop inside the
page could not be stopped by its own Stop button; the thread stops between two steps. It also pauses itself when the
page has not looked at it for IDLE_S seconds (the tab closed, or another page opened), so a forgotten run does not
keep a core busy. A class shares the machine: a run trains only while it holds one of the process's `TrainingSlots`
(as many as the CPU has cores, by default); the others wait their turn, their place shown, and a run gives its slot
back when it finishes, stops, fails or pauses itself. Nothing here computes: the steps are `Trainer.step`, the rows
`LossLog`'s (those of the command line's .loss.csv), the samples `reference.sample_ddim`'s.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

import reference
from reference.training import LossLog, Trainer

IDLE_S = 30.0  # pause when the page has not drawn the run for this long


class TrainingSlots:
    """At most `limit` runs train at once in this process; the others wait, first come first served."""

    def __init__(self, limit: int):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer; got {limit!r}")
        self.limit = limit
        self.holders: set[TrainingRun] = set()
        self.waiting: list[TrainingRun] = []
        self._changed = threading.Condition()

    def acquire(self, run: TrainingRun, give_up) -> bool:
        """Wait for a slot for `run`; False, out of the line, as soon as give_up() holds."""
        with self._changed:
            self.waiting.append(run)
            try:
                while self.waiting[0] is not run or len(self.holders) >= self.limit:
                    if give_up():
                        return False
                    self._changed.wait(0.2)
                self.holders.add(run)
                return True
            finally:
                self.waiting.remove(run)
                self._changed.notify_all()

    def release(self, run: TrainingRun) -> None:
        with self._changed:
            self.holders.discard(run)
            self._changed.notify_all()

    def ahead(self, run: TrainingRun) -> int | None:
        """How many runs wait before `run` for a slot; None when it is not waiting."""
        with self._changed:
            return self.waiting.index(run) if run in self.waiting else None


@dataclass(frozen=True)
class Snapshot:
    """Samples x0 (n, *S) drawn by DDIM from the EMA model after `step` steps."""

    step: int
    x0: np.ndarray


class TrainingRun:
    """A Trainer, how far to take it, and what it has logged: the loss rows and a sample snapshot every
    `sample_every` steps (and at step 0 and at the last step), each drawn from the same x_T, so that the snapshots
    differ only by what the model learned in between. With `slots`, it trains only while holding one."""

    def __init__(self, trainer: Trainer, *, total: int, sample_every: int, n_samples: int, ddim_steps: int,
                 clip_x0: float, sample_seed: int = 0, slots: TrainingSlots | None = None):
        self.trainer, self.slots = trainer, slots
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
    def waiting_ahead(self) -> int | None:
        """While the run waits for a training slot, how many runs wait before it; None otherwise."""
        return None if self.slots is None else self.slots.ahead(self)

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

    def _idle(self) -> bool:
        """Whether the page has not drawn the run for IDLE_S seconds; marks the run paused if so."""
        self.paused_idle = time.monotonic() - self.seen > IDLE_S
        return self.paused_idle

    def _work(self) -> None:
        if self.slots is not None and not self.slots.acquire(self, lambda: self._stop.is_set() or self._idle()):
            return
        try:
            if not self.snapshots:
                self._sample()  # step 0: the untrained model
            while not self.finished and not self._stop.is_set():
                if self._idle():
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
        finally:
            if self.slots is not None:
                self.slots.release(self)

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
