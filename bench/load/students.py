"""Simulated students: each opens the lab, then walks the scripted lab path again and again, thinking a seeded
random 2–6 s before every interaction, until the run's time is up.

The path (LAB_PATH) is what issue #16 timed in browsers, widened to the pages a lecture visits: Schedule design
(change T, move t three times), Sampling (the default view, the trajectory slider, new samples from a new seed),
ELBO inspection (toggle a reverse variance), Forward process (move t). Widgets are found by their labels. An
interaction is "heavy" when it requests new samples or a new bound (outside the goal of p95 < 1 s). A class may
begin at different pages (starting_at_page), so that a run shorter than the whole path still loads every page.
"""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from bench.load.protocol import Run, Session

Act = Callable[[Session, random.Random, float], Awaitable[Run]]  # (session, rng, timeout) -> the answer
OPEN_HOME = "open Home"
QUEUE_TEXT = "ahead of yours in the queue"  # lab_app/ui/progress.py's words for a queued request


@dataclass(frozen=True)
class Step:
    name: str
    heavy: bool  # requests new samples or a new bound
    act: Act


@dataclass
class Interaction:
    """One timed interaction of one student. start: seconds after the run began; seconds: from sending the BackMsg
    to the script_finished answering it (the time waited, when unanswered)."""
    student: str
    step: str
    heavy: bool
    start: float
    seconds: float
    status: str  # Run.status, or "harness error" when the step could not be taken (e.g. its widget was missing)
    errors: list[str] = field(default_factory=list)
    queue_shown: bool = False  # the page said how many requests were ahead of this one
    progress_shown: bool = False  # the page drew a progress bar while waiting

    @classmethod
    def of(cls, student: str, step: Step, start: float, run: Run) -> Interaction:
        return cls(student, step.name, step.heavy, start, run.seconds, run.status, run.errors,
                   queue_shown=any(QUEUE_TEXT in text for text in run.texts), progress_shown=bool(run.progress))

    @property
    def answered(self) -> bool:
        return self.status in ("finished", "fragment")


def open_page(title: str) -> Act:
    return lambda s, rng, timeout: s.open_page(title, timeout=timeout)


def set_number(label: str, low: int, high: int) -> Act:
    """Type a new integer in [low, high] into a number input."""
    return lambda s, rng, timeout: s.set(label, rng.randint(low, high), timeout=timeout)


def new_seed(label: str) -> Act:
    """A fresh seed, so that the page must compute anew (no other student has asked for it)."""
    return lambda s, rng, timeout: s.set(label, rng.randrange(1, 2 ** 31), timeout=timeout)


def move_slider(label: str) -> Act:
    """Drag a slider (or select slider) to another position, chosen at random."""
    def act(s: Session, rng: random.Random, timeout: float) -> Awaitable[Run]:
        w = s.widget(label)
        if w.kind == "select_slider":
            value = rng.choice([o for o in w.options if [o] != s.value(label)])
        else:
            value = rng.choice([v for v in range(int(w.proto.min), int(w.proto.max) + 1) if [v] != s.value(label)])
        return s.set(label, value, timeout=timeout)
    return act


def toggle_option(label: str) -> Act:
    """Click one option of a multiselect off (or back on), never leaving it empty."""
    def act(s: Session, rng: random.Random, timeout: float) -> Awaitable[Run]:
        w, chosen = s.widget(label), s.value(label)
        option = rng.choice(w.options)
        if option in chosen and len(chosen) > 1:
            chosen = [o for o in chosen if o != option]
        else:
            chosen = [o for o in w.options if o in chosen or o == option]
        return s.set(label, chosen, timeout=timeout)
    return act


T_SLIDER = "t (paper's"
LAB_PATH = (
    Step("open Schedule design", False, open_page("Schedule design")),
    Step("change T", False, set_number("T (number of steps)", 100, 1000)),
    Step("move t (schedule)", False, move_slider(T_SLIDER)),
    Step("move t (schedule)", False, move_slider(T_SLIDER)),
    Step("move t (schedule)", False, move_slider(T_SLIDER)),
    Step("open Sampling", False, open_page("Sampling")),
    Step("move trajectory", False, move_slider("Trajectory")),
    Step("new samples (new seed)", True, new_seed("seed")),
    Step("open ELBO inspection", False, open_page("ELBO inspection")),
    Step("toggle variance", False, toggle_option("reverse variance")),
    Step("open Forward process", False, open_page("Forward process")),
    Step("move t (forward)", False, move_slider(T_SLIDER)),
)


def starting_at_page(path: tuple[Step, ...], k: int) -> tuple[Step, ...]:
    """The path begun at its kth page (counting the steps that open a page, cyclically), so that a class spreads
    over the pages as it works through them instead of moving in lockstep."""
    opens = [i for i, step in enumerate(path) if step.name.startswith("open ")]
    start = opens[k % len(opens)]
    return path[start:] + path[:start]


@dataclass
class Clock:
    """The run's timeline: students arrive over [0, ramp) s, start no interaction after `duration` s, and give up
    waiting at duration + drain s."""
    ramp: float
    duration: float
    drain: float
    start: float = field(default_factory=time.perf_counter)

    def now(self) -> float:
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds until the run stops waiting for answers."""
        return self.duration + self.drain - self.now()


async def student(name: str, url: str, clock: Clock, arrival: float, think: tuple[float, float], seed: int,
                  records: list[Interaction], path: tuple[Step, ...] = LAB_PATH, max_paths: int | None = None) -> int:
    """One student: arrive at `arrival` s, open the lab (timed from opening the websocket), walk `path` until the
    clock says stop (or `max_paths` paths are done). Appends every interaction to `records`; returns the number of
    paths completed."""
    rng = random.Random(seed)
    await asyncio.sleep(max(0.0, arrival - clock.now()))
    start = clock.now()
    session = Session(url)
    try:
        await session.connect()
    except ConnectionError as e:
        records.append(Interaction(name, OPEN_HOME, False, start, clock.now() - start, "closed", [str(e)]))
        return 0
    async with session:
        run = await session.open_url("", timeout=clock.left())
        records.append(Interaction(name, OPEN_HOME, False, start, clock.now() - start, run.status, run.errors))
        paths = 0
        while run.status != "closed" and paths != max_paths:
            for step in path:
                await asyncio.sleep(rng.uniform(*think))
                if clock.now() >= clock.duration:
                    return paths
                start = clock.now()
                try:
                    run = await step.act(session, rng, clock.left())
                except ValueError as e:  # the widget or page is not there: the last answer lacked it
                    records.append(Interaction(name, step.name, step.heavy, start, 0.0, "harness error", [str(e)]))
                    continue
                records.append(Interaction.of(name, step, start, run))
                if run.status in ("closed", "timeout"):
                    return paths
            paths += 1
        return paths
