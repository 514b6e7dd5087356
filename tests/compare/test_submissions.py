"""The TA's pytest view of a class: one test per student × task, running the autograder's own checks.

    pytest tests/compare/test_submissions.py --submissions assignments/submitted [--assignment ddpm_core] [--submissions-jobs N]

Each student's code runs in a sandbox of its own (graders/compare/grade.py over graders/sandbox/runner.py); a failure shows
the check's message, the diagnosed mistake included. Without --submissions the tests here are skipped. The HTML and
CSV report of the same run: python -m graders.compare (see the README, "For TAs").
"""
import pytest


def pytest_generate_tests(metafunc):
    if "student_task" not in metafunc.fixturenames:
        return
    folder = metafunc.config.getoption("submissions")
    if folder is None:
        skip = pytest.mark.skip(reason="no --submissions DIR given: there is no class to grade")
        metafunc.parametrize("student_task", [pytest.param(None, marks=skip)], ids=["no-submissions"])
        return
    from graders.compare import find_submissions
    from graders.engine.tasks import tasks_of

    submissions = find_submissions(folder, metafunc.config.getoption("assignment"))
    students = [s.student for s in submissions]
    tasks = list(tasks_of(submissions[0].notebook.parent.name))
    metafunc.parametrize("student_task", [(s, t) for s in students for t in tasks],
                         ids=[f"{s}::{t}" for s in students for t in tasks])


def test_submission(graded_submissions, student_task):
    """Does this student's function pass the autograder's check for this task?"""
    student, task = student_task
    result = graded_submissions[student].results[task]
    if not result["passed"]:
        pytest.fail(f"{student} · {task} ({result['status']}):\n{result['message']}", pytrace=False)
