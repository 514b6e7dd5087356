"""What every test folder shares: the helper modules' place on sys.path, the markers' skip rules, the TA's
--submissions option, and __main__ restored after AppTest. Each product's fixtures live in its folder's conftest.py."""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import torch

# The Streamlit servers the browser and load tests start compute only what they open: the warm-up (lab_app/views/warmup.py)
# would spend ~45 s of a core per server on every page's defaults; tests/app/test_app_warmup.py tests it directly.
os.environ.setdefault("DDPM_LAB_WARMUP", "0")

# The helpers the tests share (a course generated and graded, planted mistakes, hostile ploys, a PostgreSQL server,
# Chromium) live in tests/support/ and are imported by their bare names, as bench/ imports them too.
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))


def pytest_configure(config):
    """One folder per run for the courses generated once (tests/support/course.py), made by the controlling process
    and inherited by the xdist workers through the environment (course.GENERATED); removed by the process that made
    it."""
    if not os.environ.get("DDPM_TEST_GENERATED"):
        config._generated_courses = tempfile.mkdtemp(prefix="ddpm-generated-")
        os.environ["DDPM_TEST_GENERATED"] = config._generated_courses


def pytest_unconfigure(config):
    made = getattr(config, "_generated_courses", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop("DDPM_TEST_GENERATED", None)


def pytest_addoption(parser):
    group = parser.getgroup("ddpm-lab", "DDPM Lab: grading submitted notebooks (tests/compare/test_submissions.py)")
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


# Seconds each of the longest test files took in CI (quiet 2-core machine, `--durations`): tests/run.sh hands whole
# files to two processes (`--dist loadfile`) in collection order, so the longest go first and the short ones fill the
# end, instead of one long file starting last while the other process idles. Files not listed keep their order, after.
FILE_SECONDS = {
    "test_assignment_pipeline.py": 310, "test_assignment_hostile_beyond.py": 420, "test_compare_class.py": 260,
    "test_assignment_hostile.py": 140, "test_autograde_dask.py": 125, "test_grading_faults.py": 125,
    "test_course_exchange.py": 110, "test_reference_bound.py": 85, "test_models_quality_toy.py": 60,
    "test_grades_out.py": 55, "test_feedback_html.py": 45, "test_browser_sampling.py": 40, "test_reference_sampling.py": 35,
    "test_packaging.py": 30, "test_submission_files.py": 28, "test_models_quality_digits.py": 25,
    "test_bench_load.py": 23, "test_models_quality_conditional.py": 20, "test_compare_views.py": 16,
}


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: -FILE_SECONDS.get(item.path.name, 0))  # stable: each file's tests keep their order
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
