"""Debian's headless Chromium for the browser tests: a module-scoped `browser` fixture (playwright driving
/usr/bin/chromium with bench/load/browsers.py's flags), skipped where either is missing, and `missing()` for a
module whose every test needs it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.load.browsers import ARGS, CHROMIUM

try:
    from playwright import sync_api
except ImportError:
    sync_api = None


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed"
    return None if sync_api is not None else "playwright is not installed"


@pytest.fixture(scope="module")
def browser():
    if missing():
        pytest.skip(missing())
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
