"""How big the TA report of a large class is, and how fast Chromium opens it.

    python -m bench.bench_compare_report [--students 300] [--repeats 5]

Builds a synthetic class on both assignments (tests/support/compare_synthetic.py: StudentRuns from a seeded mix of outcomes,
no notebook graded), writes the report, and prints the machine's load average, the time to write the report, the
size of report.html, report.csv and results.jsonl, then, in Debian's headless Chromium in a 1,400 × 900 window, the
median over --repeats fresh pages of the time from navigation to the load event, of one search keystroke and of one
sort by total on the first assignment's matrix.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.load.browsers import ARGS, CHROMIUM

ROOT = Path(__file__).resolve().parents[1]


def _browser_times(page_uri: str, repeats: int) -> dict[str, float]:
    """Median milliseconds over `repeats` fresh pages: load event, a search keystroke, a sort."""
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {"load event": [], "search (one key)": [], "sort by total": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(page_uri)
            timing = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
            samples["load event"].append(timing["loadEventEnd"])
            section = page.locator("section.tab").nth(1)
            page.click(f"nav.tabs button[data-tab='{section.get_attribute('id')}']")
            box = section.locator("input.search")
            start = time.perf_counter()
            box.press("s")
            section.locator(".shown").inner_text()
            samples["search (one key)"].append(1000 * (time.perf_counter() - start))
            box.fill("")
            heading = section.locator("thead th button.sort", has_text="total")
            start = time.perf_counter()
            heading.click()
            section.locator(".view tbody tr").first.inner_text()
            samples["sort by total"].append(1000 * (time.perf_counter() - start))
            context.close()
        browser.close()
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "support"))  # the synthetic class lives with the tests
    from compare_synthetic import synthetic_course
    from graders.compare import write_report

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    course = synthetic_course(args.students)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        start = time.perf_counter()
        write_report(course.runs, out, f"DDPM Lab — a class of {args.students}", names=course.names)
        print(f"{args.students} students × {len({r.assignment for r in course.runs})} assignments "
              f"({len(course.runs)} gradings): report written in {time.perf_counter() - start:.2f} s")
        for name in ("report.html", "report.csv", "results.jsonl"):
            print(f"  {name:14s} {(out / name).stat().st_size / 1e6:.2f} MB")
        if not Path(CHROMIUM).exists():
            print(f"(no {CHROMIUM}: browser timings skipped)")
            return
        for what, ms in _browser_times((out / "report.html").as_uri(), args.repeats).items():
            print(f"  Chromium, 1,400 px, median of {args.repeats}: {what:18s} {ms:7.0f} ms")


if __name__ == "__main__":
    main()
