"""Shared fixtures: schedules, seeded generators and the markers' skip rules."""
import shutil

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="no CUDA GPU visible")
    skip_browser = pytest.mark.skip(reason="/usr/bin/chromium is not installed")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_cuda)
        if "browser" in item.keywords and shutil.which("chromium") is None:
            item.add_marker(skip_browser)
