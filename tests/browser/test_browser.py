"""Does the lab work in a real browser? `streamlit run` on a free local port, driven by Debian's headless Chromium.

Every page is opened, a widget changed, and the plots checked for drawn traces; screenshots go to
$DDPM_LAB_SCREENSHOTS if set, else to pytest's temporary directory.
"""
import json
import os
import time
from pathlib import Path

import pytest

from bench.load.server import streamlit_server
from chromium import browser, missing, sync_api  # noqa: F401 - browser: a fixture
from reference.checkpoints import available_checkpoints

pytestmark = pytest.mark.browser
PLOT = '[data-testid="stPlotlyChart"]'
if missing():
    pytest.skip(missing(), allow_module_level=True)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """A `streamlit run streamlit_app.py` server on localhost (the load harness's), stopped after the module's tests."""
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log") as (base, _):
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2600}, accept_downloads=True)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("DDPM_LAB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(pg, timeout_ms: int = 90_000) -> None:
    """Wait until the script run has finished: the 'Running…' status widget gone and no progress bar left."""
    pg.wait_for_timeout(400)
    pg.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
                                  && !document.querySelector('[data-testid="stProgress"]')""", timeout=timeout_ms)
    pg.wait_for_timeout(300)


TRACES = """charts => charts.map(c => c.querySelectorAll(
    '.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm, .imagelayer image').length)"""


def drawn_traces(pg) -> list[int]:
    """For each plotly chart on the page, how many traces it drew (SVG groups in its plot layers)."""
    return pg.eval_on_selector_all(PLOT, TRACES)


def wait_for_plots(pg, n: int, timeout_ms: int = 90_000) -> None:
    """Wait until n plotly charts are on the page, each with at least one drawn trace, and the run is over."""
    try:
        pg.wait_for_function(f"""() => {{
            const counts = ({TRACES})([...document.querySelectorAll('{PLOT}')]);
            return counts.length === {n} && counts.every(k => k > 0); }}""", timeout=timeout_ms)
    except sync_api.TimeoutError:
        pytest.fail(f"expected {n} drawn plots; found traces {drawn_traces(pg)} on {pg.url}:\n{pg.inner_text('body')}")
    settle(pg, timeout_ms)


def move_trajectory(page, title: str) -> None:
    """Move the Sampling page's trajectory slider five steps right; wait until the x_t plot, titled `title` before,
    is redrawn and all three plots are back."""
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="Trajectory").get_by_role("slider")
    thumb.focus()
    for _ in range(5):
        thumb.press("ArrowRight")
    wait_for_change(page, f"{PLOT} .gtitle", title, nth=1)
    wait_for_plots(page, 3)


def wait_for_change(pg, selector: str, before: str, nth: int = 0, timeout_ms: int = 90_000) -> None:
    """Wait until the text of the nth element matching `selector` is no longer `before`."""
    try:
        pg.wait_for_function("([sel, before, nth]) => { const e = document.querySelectorAll(sel)[nth];"
                             " return e && e.textContent !== before; }", arg=[selector, before, nth],
                             timeout=timeout_ms)
    except sync_api.TimeoutError:
        pytest.fail(f"{selector} [{nth}] still reads {before!r} after {timeout_ms / 1000:.0f} s")


def no_exception(pg) -> None:
    exceptions = pg.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def test_home_page_and_navigation(page, url, shots):
    """Does the home page load with the device in the sidebar, and its link open the schedule page?"""
    page.goto(url)
    page.get_by_role("heading", name="DDPM Lab").wait_for()
    settle(page)
    assert "Computing on:" in page.locator('[data-testid="stSidebar"]').inner_text()
    page.screenshot(path=shots / "home.png")
    page.locator('[data-testid="stPageLink"]').filter(has_text="Schedule design").first.click()
    page.get_by_role("heading", name="Schedule design").wait_for()
    assert page.url.endswith("/schedule")


def test_schedule_page(page, url, shots):
    """Do the schedule plots draw, follow a new T, show an error for T = 0, and download as JSON?"""
    page.goto(f"{url}/schedule")
    wait_for_plots(page, 2)
    page.screenshot(path=shots / "schedule.png")
    start = time.perf_counter()
    t_input = page.get_by_label("T (number of steps)").first
    t_input.fill("500")
    t_input.press("Enter")
    page.wait_for_function("""() =>
        [...document.querySelectorAll('.legendtext')].some(e => e.textContent === '1: linear (T=500)')
        && [...document.querySelectorAll('.annotation-text')].some(e => e.textContent === '1: linear (T=500), t = 250')""")
    print(f"schedule page: both figures redrawn {time.perf_counter() - start:.2f} s after T changed (in Chromium)")
    settle(page)
    no_exception(page)
    assert min(drawn_traces(page)) >= 1
    with page.expect_download() as download:
        page.get_by_role("button", name="1: linear (T=500) as JSON").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved["T"] == 500 and len(saved["betas"]) == 500
    t_input.fill("0")
    t_input.press("Enter")
    page.get_by_text("T must be an integer of at least 1; got 0").wait_for()
    no_exception(page)
    wait_for_plots(page, 2)  # schedule 2 keeps its plots
    assert not [t for t in page.locator(".legendtext").all_text_contents() if t.startswith("1:")]
    page.screenshot(path=shots / "schedule_error.png")


@pytest.mark.skipif("moons" not in available_checkpoints(), reason="the moons checkpoint is not shipped")
def test_elbo_page(page, url, shots):
    """Does the ELBO page draw its four plots and recompute for a new seed?"""
    page.goto(f"{url}/elbo")
    wait_for_plots(page, 4)
    no_exception(page)
    before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    page.screenshot(path=shots / "elbo.png")
    seed = page.get_by_label("seed (x_t draws)")
    seed.fill("5")
    seed.press("Enter")
    wait_for_change(page, '[data-testid="stMetricValue"]', before)
    wait_for_plots(page, 4)
    no_exception(page)


@pytest.mark.skipif("moons" not in available_checkpoints(), reason="the moons checkpoint is not shipped")
def test_sampling_page(page, url, shots):
    """Does DDPM sampling draw samples and trajectory, and DDIM redraw with its step count?"""
    page.goto(f"{url}/sampling")
    wait_for_plots(page, 3)
    no_exception(page)
    page.get_by_text("DDPM, 1000 steps, 2000 samples").wait_for()
    page.screenshot(path=shots / "sampling_ddpm.png")
    page.get_by_text("DDIM", exact=True).click()
    page.get_by_text("DDIM, 50 steps, 2000 samples").wait_for(timeout=60_000)
    settle(page)
    no_exception(page)
    title = page.locator(PLOT).nth(1).locator(".gtitle").text_content()
    eta = page.locator('[data-testid="stSlider"]').filter(has_text="η").inner_text()
    move_trajectory(page, title)
    assert page.locator('[data-testid="stSlider"]').filter(has_text="η").inner_text() == eta
    page.screenshot(path=shots / "sampling_ddim.png")


def test_forward_page(page, url, shots):
    """Does the Forward process page draw its three plots and render eqs. 2 and 4 as LaTeX, with no exception?"""
    page.set_viewport_size({"width": 1400, "height": 3400})  # the digit strip sits below the default 2600
    page.goto(f"{url}/forward")
    wait_for_plots(page, 3)
    no_exception(page)
    assert page.locator(".katex").count() >= 3  # rendered, not plain text
    assert min(drawn_traces(page)) >= 1
    page.screenshot(path=shots / "forward.png")


def test_posterior_page(page, url, shots):
    """Does the Posterior page draw the coefficients and the 1-D posterior, render eqs. 6–7 as LaTeX, and show the
    largest gap between eq. 7 and Bayes' rule?"""
    page.goto(f"{url}/posterior")
    wait_for_plots(page, 2)
    no_exception(page)
    assert page.locator(".katex").count() >= 3
    assert float(page.locator('[data-testid="stMetricValue"]').first.inner_text()) < 1e-9
    page.screenshot(path=shots / "posterior.png")


def test_latent_page(page, url, shots):
    """Does the Latent diffusion page draw q(z) against the prior and the latent DDPM and the three digit grids,
    render its equations as LaTeX, and switch to the 8-D marginals?"""
    page.set_viewport_size({"width": 1400, "height": 3400})  # the digit grids sit below the default 2600
    page.goto(f"{url}/latent")
    wait_for_plots(page, 4)
    no_exception(page)
    assert page.locator(".katex").count() >= 4  # rendered, not plain text
    assert min(drawn_traces(page)) >= 1
    page.screenshot(path=shots / "latent_2d.png", full_page=True)
    page.get_by_text("8-D latent", exact=True).click()
    page.get_by_text("Per-dimension marginals of the 8-D latents", exact=False).wait_for(timeout=60_000)
    wait_for_plots(page, 4)
    no_exception(page)
    page.screenshot(path=shots / "latent_8d.png", full_page=True)


@pytest.mark.skipif("moons" not in available_checkpoints(), reason="the moons checkpoint is not shipped")
def test_mhvae_page(page, url, shots):
    """Does the hierarchical-VAE page draw both graphical models, render its mathematics as LaTeX, and redraw the
    figure and the mapping when a restriction is switched on?"""
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.goto(f"{url}/mhvae")
    wait_for_plots(page, 1)
    no_exception(page)
    assert page.locator(".katex").count() >= 10  # the equations and the mapping table, rendered
    assert drawn_traces(page)[0] >= 10  # both chains: edges, nodes, labels, priors
    title = page.locator(f"{PLOT} .gtitle, {PLOT} .annotation-text").first.text_content()
    assert "0 of 3" in title
    page.screenshot(path=shots / "mhvae.png")
    for label in ("1. latent size", "2. a fixed linear-Gaussian encoder", "3. the final latent"):
        page.locator('[data-testid="stCheckbox"]').filter(has_text=label).locator("label").click()
        settle(page)
    page.get_by_text("All three on: the MHVAE's loss is DDPM's L").wait_for()
    wait_for_change(page, f"{PLOT} .annotation-text", title)
    wait_for_plots(page, 1)
    no_exception(page)
    page.screenshot(path=shots / "mhvae_all_on.png")


@pytest.mark.skipif("digits" not in available_checkpoints(), reason="the digits checkpoint is not shipped")
def test_network_page(page, url, shots):
    """Does The network page draw the U-Net, the time embedding, the digit, its attention and feature maps, with
    its formulas as LaTeX, and redraw the attention for a new t?"""
    page.set_viewport_size({"width": 1400, "height": 4400})  # the attention and feature maps sit far down
    page.goto(f"{url}/network")
    wait_for_plots(page, 5)
    no_exception(page)
    assert page.locator(".katex").count() >= 5  # rendered, not plain text
    assert min(drawn_traces(page)) >= 1
    page.screenshot(path=shots / "network.png", full_page=True)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    nth = next(i for i, label in enumerate(labels) if "ᾱ_t" in label)
    before = page.locator('[data-testid="stMetricValue"]').nth(nth).inner_text()
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="t (paper's").get_by_role("slider")
    thumb.focus()
    thumb.press("End")  # t = T: ᾱ_T is about 0
    wait_for_change(page, '[data-testid="stMetricValue"]', before, nth=nth)
    wait_for_plots(page, 5)
    no_exception(page)


LOSS_POINTS = """() => {
    const d = document.querySelector('[data-testid="stVegaLiteChart"] .mark-line path')?.getAttribute('d');
    return d ? d.split('L').length : 0; }"""  # the points of the training loss's line


def test_training_page(page, url, shots):
    """Does Start train live in the browser, the loss curve's trace growing between redraws, and does Stop hold
    the step count still?"""
    page.goto(f"{url}/training")
    wait_for_plots(page, 1)  # the data, before Start
    no_exception(page)
    assert page.locator(".katex").count() >= 3  # Algorithm 1 and the text's symbols, rendered
    total = page.get_by_label("total steps")
    total.fill("20000")
    total.press("Enter")
    settle(page)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(f"({LOSS_POINTS})() >= 3", timeout=60_000)
    first = page.evaluate(LOSS_POINTS)
    page.evaluate("() => { window.lossChart = document.querySelector('[data-testid=\"stVegaLiteChart\"] svg'); }")
    page.wait_for_function(f"({LOSS_POINTS})() > {first} + 5", timeout=60_000)  # grown by a later redraw
    assert page.evaluate("() => document.contains(window.lossChart)")  # redrawn in place, not mounted anew
    no_exception(page)
    page.screenshot(path=shots / "training_live.png")
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => b.innerText === 'Resume' "
                           "&& !b.disabled)", timeout=30_000)
    settle(page)
    step = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == step
    assert page.evaluate(LOSS_POINTS) > first + 5
    no_exception(page)
    page.screenshot(path=shots / "training_stopped.png")
