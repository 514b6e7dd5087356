"""In Chromium: does the Conditioning and guidance page draw its three plots with eq. 6 rendered, and does a new
guidance scale redraw the digits? (The server, browser and helpers are tests/browser/test_browser.py's.)"""
from pathlib import Path

import pytest

from reference.checkpoints import available_checkpoints
from test_browser import PLOT, browser, drawn_traces, no_exception, page, shots, url, wait_for_change, wait_for_plots  # noqa: F401

ROUTED = "lab_app/pages/conditioning.py" in (Path(__file__).resolve().parents[2] / "streamlit_app.py").read_text()
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not {"digits_cond", "moons_cond"} <= set(available_checkpoints()),
                                 reason="the conditional checkpoints are not shipped"),
              pytest.mark.skipif(not ROUTED, reason="streamlit_app.py does not route to the conditioning page yet")]


def test_conditioning_page(page, url, shots):
    """Do the guided digits, the accuracy-vs-diversity curve and the moons draw, with the formulas as LaTeX, and
    does moving w redraw the digits' title?"""
    page.set_viewport_size({"width": 1400, "height": 3400})
    page.goto(f"{url}/conditioning")
    wait_for_plots(page, 3)
    no_exception(page)
    assert page.locator(".katex").count() >= 5  # eq. 6 and the text's symbols, rendered
    assert min(drawn_traces(page)) >= 1
    page.screenshot(path=shots / "conditioning.png", full_page=True)
    title = page.locator(f"{PLOT} .gtitle").first.text_content()
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="guidance scale w").first.get_by_role("slider")
    thumb.focus()
    thumb.press("Home")  # w = 0
    wait_for_change(page, f"{PLOT} .gtitle", title)
    wait_for_plots(page, 3)
    no_exception(page)
    assert "w = 0" in page.locator(f"{PLOT} .gtitle").first.text_content()
    page.screenshot(path=shots / "conditioning_w0.png", full_page=True)
