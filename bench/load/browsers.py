"""Real headless Chromium sessions (Debian's /usr/bin/chromium through playwright, as tests/test_browser.py drives
it) walking the lab path beside the simulated students: what a student sees end to end, drawing included.

Each interaction is timed from the click or key press until the app's script-run state (stApp's
data-test-script-state, which the frontend sets for its own end-to-end tests) has gone through a run and is back
to "notRunning", and every plotly chart on the page has drawn its traces.
"""
from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable

from bench.load.students import LAB_PATH, OPEN_HOME, Clock, Interaction

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
WATCH = """() => { const app = document.querySelector('[data-testid="stApp"]'); let ran = false;
    window.__settled = new Promise(resolve => new MutationObserver((_, observer) => {
        if (app.dataset.testScriptState !== 'notRunning') ran = true;
        else if (ran) { observer.disconnect(); resolve(); } })
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']})); }"""
DRAWN = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c =>
        c.querySelector('.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm, .imagelayer image'))"""
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")


async def _step(thumb) -> None:
    """Move a slider's thumb one step with an arrow key (one rerun), towards the end it is farther from."""
    now, low, high = await thumb.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")  # an <input type=range>
    await thumb.focus()
    await thumb.press("ArrowRight" if high - now >= now - low else "ArrowLeft")


def _acts(rng: random.Random) -> dict[str, Callable]:
    """Step name -> what a student does in the browser for it, for every step of LAB_PATH."""
    async def type_into(page, label: str, value: int) -> None:
        box = page.get_by_label(label, exact=True).first
        await box.fill(str(value))
        await box.press("Enter")

    async def toggle(page) -> None:
        select = page.locator('[data-testid="stMultiSelect"]').filter(has_text="reverse variance")
        remove = select.locator('button[aria-label^="Remove "]')  # one on each chosen option's tag
        if await remove.count() > 1:
            await remove.last.click()
        else:
            await select.get_by_role("combobox").click()
            await page.get_by_role("option").first.click()  # the option not chosen

    def open_page(title: str):
        return lambda page: page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).first.click()

    return {"open Schedule design": open_page("Schedule design"),
            "change T": lambda page: type_into(page, "T (number of steps)", rng.randint(100, 1000)),
            "move t (schedule)": lambda page: _step(_slider(page, "t (paper's")),
            "open Sampling": open_page("Sampling"),
            "move trajectory": lambda page: _step(_slider(page, "Trajectory")),
            "new samples (new seed)": lambda page: type_into(page, "seed", rng.randrange(1, 2 ** 31)),
            "open ELBO inspection": open_page("ELBO inspection"),
            "toggle variance": toggle,
            "open Forward process": open_page("Forward process"),
            "move t (forward)": lambda page: _step(_slider(page, "t (paper's"))}


async def _timed(page, clock: Clock, action: Callable[[], Awaitable], *, rerun: bool = True
                 ) -> tuple[float, str, list[str]]:
    """Do `action`, wait until the page has run its script (if `rerun`, a run started after the action) and drawn
    its charts; (seconds, status, errors shown on the page)."""
    if rerun:
        await page.evaluate(WATCH)
    start = clock.now()
    try:
        await action()
        if rerun:
            await asyncio.wait_for(page.evaluate("() => window.__settled"), max(0.0, clock.left()))
        await page.wait_for_function(DRAWN, timeout=max(1.0, clock.left()) * 1000)
        status = "finished"
    except Exception as e:  # playwright's errors and timeouts, or a control not found: this step failed, not the run
        status = "timeout" if clock.left() <= 0 else "harness error"
        return clock.now() - start, status, [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]
    errors = [text.strip() for text in await page.locator(ERRORS).all_inner_texts()]
    return clock.now() - start, status, [e.splitlines()[0] for e in errors]


async def browser_student(name: str, browser, url: str, clock: Clock, arrival: float, think: tuple[float, float],
                          seed: int, records: list[Interaction]) -> int:
    """One Chromium tab walking LAB_PATH until the clock says stop; returns the paths completed."""
    rng = random.Random(seed)
    acts = _acts(rng)
    await asyncio.sleep(max(0.0, arrival - clock.now()))
    context = await browser.new_context(viewport={"width": 1400, "height": 2600})
    page = await context.new_page()
    try:
        start = clock.now()
        seconds, status, errors = await _timed(page, clock, lambda: page.goto(url), rerun=False)
        records.append(Interaction(name, OPEN_HOME, False, start, seconds, status, errors))
        paths = 0
        while True:
            for step in LAB_PATH:
                await asyncio.sleep(rng.uniform(*think))
                if clock.now() >= clock.duration:
                    return paths
                start = clock.now()
                seconds, status, errors = await _timed(page, clock, lambda: acts[step.name](page))
                records.append(Interaction(name, step.name, step.heavy, start, seconds, status, errors))
                if status == "timeout":
                    return paths
            paths += 1
    finally:
        await context.close()


async def run(n: int, url: str, clock: Clock, think: tuple[float, float], seed: int,
              records: list[Interaction]) -> list[int]:
    """n Chromium tabs in one headless browser, arriving evenly over the clock's ramp; the paths each completed."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return await asyncio.gather(*(browser_student(f"browser {i}", browser, url, clock,
                                                          clock.ramp * (i + 0.5) / n, think, seed + i, records)
                                          for i in range(n)))
        finally:
            await browser.close()
