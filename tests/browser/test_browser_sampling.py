"""In Chromium: does the Sampling page show its code full width, and does the trajectory slider redraw only its
fragment? (Issue 15, item 7; the server, browser and helpers are tests/browser/test_browser.py's.)"""
import pytest

from reference.checkpoints import available_checkpoints
from test_browser import (PLOT, browser, move_trajectory, no_exception, page, settle, shots,  # noqa: F401
                          url, wait_for_plots)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif("moons" not in available_checkpoints(), reason="the moons checkpoint is not shipped")]


def test_show_the_code_is_full_width(page, url, shots):
    """Does every code block under "Show the code" span the page's width, not one column of three?"""
    page.goto(f"{url}/sampling")
    wait_for_plots(page, 3)
    for expander in page.locator('[data-testid="stExpander"] summary').all():
        expander.click()
    settle(page)
    page_width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
    widths = [block.bounding_box()["width"] for block in page.locator('[data-testid="stCode"]').all()]
    assert len(widths) == 4 and min(widths) > 0.75 * page_width, (widths, page_width)
    page.screenshot(path=shots / "sampling_code.png", full_page=True)


def test_trajectory_slider_does_not_rerun_the_page(page, url, shots):
    """Moving the trajectory slider: do x_t and x̂0 redraw while the page's caption, written by a full run, stays?"""
    page.goto(f"{url}/sampling")
    wait_for_plots(page, 3)
    seed = page.get_by_label("seed")
    seed.fill("3")  # a seed no other test samples, so that the caption says the samples were computed now
    seed.press("Enter")
    page.get_by_text("DDPM, 1000 steps, 2000 samples").filter(has_not_text="cache").wait_for()
    wait_for_plots(page, 3)
    caption = page.get_by_text("DDPM, 1000 steps, 2000 samples").inner_text()
    title = page.locator(PLOT).nth(1).locator(".gtitle").text_content()
    move_trajectory(page, title)
    no_exception(page)
    # a full run would find the samples in the cache and say so: "… (when first computed; … from the cache)."
    assert page.get_by_text("DDPM, 1000 steps, 2000 samples").inner_text() == caption
    page.screenshot(path=shots / "sampling_trajectory.png")
