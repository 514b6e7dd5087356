"""The TA tool's fixture: the class under --submissions graded once (tests/compare/test_submissions.py)."""
import warnings

import pytest


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
