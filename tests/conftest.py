"""Shared fixtures: schedules, seeded generators, the markers' skip rules, and the TA's --submissions option."""
import os
import shutil
import sys
from pathlib import Path

import pytest
import torch


def pytest_addoption(parser):
    group = parser.getgroup("ddpm-lab", "DDPM Lab: grading submitted notebooks (tests/test_submissions.py)")
    group.addoption("--submissions", type=Path, default=None, metavar="DIR",
                    help="nbgrader's submitted/ folder (or the course folder) to grade, one test per student × task")
    group.addoption("--assignment", default=None, metavar="NAME",
                    help="which assignment under --submissions (needed only if students submitted several)")
    group.addoption("--submissions-jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                    help="students graded at once (default: all cores)")


@pytest.fixture(scope="session")
def graded_submissions(pytestconfig):
    """student -> StudentRun for every notebook under --submissions, each graded in processes of its own."""
    from graders.isolate import grade_class
    from graders.roster import find_submissions, submitted_folder

    folder = pytestconfig.getoption("submissions")
    submissions = find_submissions(folder, pytestconfig.getoption("assignment"))
    runs = grade_class(submissions, jobs=pytestconfig.getoption("submissions_jobs"), progress=False,
                       private_roots=(submitted_folder(folder).resolve(),))
    return {run.student: run for run in runs}


def pytest_collection_modifyitems(config, items):
    skip_cuda = pytest.mark.skip(reason="no CUDA GPU visible")
    skip_browser = pytest.mark.skip(reason="/usr/bin/chromium is not installed")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip_cuda)
        if "browser" in item.keywords and shutil.which("chromium") is None:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Streamlit's AppTest leaves its script installed as __main__; multiprocessing's forkserver (the TA tool) would
    then re-run that script in every child it starts. Put the real __main__ back after each test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main

