"""Shared fixtures: schedules, seeded generators, the markers' skip rules, and the TA's --submissions option."""
import os
import shutil
import sys
import warnings
from pathlib import Path

import pytest
import torch

# The Streamlit servers the browser and load tests start compute only what they open: the warm-up (lab_app/warmup.py)
# would spend ~45 s of a core per server on every page's defaults; tests/test_app_warmup.py tests it directly.
os.environ.setdefault("DDPM_LAB_WARMUP", "0")


def pytest_addoption(parser):
    group = parser.getgroup("ddpm-lab", "DDPM Lab: grading submitted notebooks (tests/test_submissions.py)")
    group.addoption("--submissions", type=Path, default=None, metavar="DIR",
                    help="nbgrader's submitted/ folder (or the course folder) to grade, one test per student × task")
    group.addoption("--assignment", default=None, metavar="NAME",
                    help="which assignment under --submissions (needed only if students submitted several)")
    group.addoption("--submissions-jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                    help="students graded at once (default: all cores)")


@pytest.fixture(autouse=True)
def _main_module_restored():
    """AppTest runs a script as the module __main__ and leaves it in sys.modules; a Dask worker that multiprocessing
    spawns later in the same process would run that script again as its main and die ("Nanny failed to start").
    Each test gets the real __main__ back afterwards."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def graded_submissions(pytestconfig):
    """student -> StudentRun for every notebook under --submissions, each graded in a sandbox of its own."""
    from graders.compare import find_submissions, grade_class
    from graders.sandbox.confine import NOT_ISOLATED

    submissions = find_submissions(pytestconfig.getoption("submissions"), pytestconfig.getoption("assignment"))
    assignment = submissions[0].notebook.parent.name
    runs = grade_class(submissions, jobs=pytestconfig.getoption("submissions_jobs"), progress=False,
                       assignment=assignment)
    for why in sorted({run.not_isolated for run in runs if run.not_isolated}):
        warnings.warn(NOT_ISOLATED.format(why=why))  # listed in pytest's warnings summary
    return {run.student: run for run in runs}


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="no CUDA GPU visible")
    skip_browser = pytest.mark.skip(reason="/usr/bin/chromium is not installed")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_cuda)
        if "browser" in item.keywords and shutil.which("chromium") is None:
            item.add_marker(skip_browser)


@pytest.fixture(scope="session")
def dask_pair():
    """A Dask client of a LocalCluster of two worker processes, as graders/batch/cluster.py starts by default, with the
    TA tool already imported on both (so timings see grading, not the workers' start)."""
    import importlib

    from graders.batch.cluster import dask_client

    with dask_client(None, 2) as client:
        client.run(importlib.import_module, "graders.compare.grade")
        yield client
