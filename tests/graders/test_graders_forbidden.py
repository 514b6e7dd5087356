"""Can a graded function reach a library that already does the task, by any route? (graders/sandbox/runner.py FORBIDDEN)

The integrity rule once read only the graded function's own code: diffusers imported in a helper it calls, or under
a decorator, earned 15 of 20 points. The grading worker's sandbox now hides the forbidden packages wherever the
Python environment holds them (diffusers is installed here, for the reference's cross-checks), so every route fails
the same way. Each task of both assignments below is the instructor's own solution, wrapped so that each call
first reaches diffusers by one route: every task must fail. The same wrapping around a harmless import must pass,
so the failures come from the forbidden import alone.
"""
from __future__ import annotations

import importlib.util

import nbformat
import pytest

from graders.engine import judging as engine, notebook
from graders.sandbox import confine, runner
from graders.sandbox.confine import BASE_UID
from graders.sandbox.users import USERS_PER_POOL
from graders.engine.tasks import tasks_of

from course import ROOT

pytestmark = [pytest.mark.skipif(confine.isolation_problem() is not None,
                                 reason=f"bubblewrap cannot confine here: {confine.isolation_problem()}"),
              pytest.mark.skipif(importlib.util.find_spec("diffusers") is None,
                                 reason="diffusers is not installed: nothing to reach")]
UID = BASE_UID + 2 * USERS_PER_POOL + 40  # outside the pools a grading beside these tests leases

ROUTES = {  # a wrapper's body reaching `module` (diffusers, or math for the control) on every call
    "helper": "_helper_{n}()",
    "decorator": "import {module}",  # the wrapper then sits under torch.no_grad(), as a decorator would put it
    "importlib": "importlib.import_module('{first}' + '{rest}')",
    "exec": "exec('import {module}')",
    "__import__": "__import__('{module}')",
}


def _wrapped(task: str, route: str, module: str, n: int) -> str:
    """Source that rebinds `task` to a functools.wraps wrapper reaching `module` by `route` on every call."""
    body = ROUTES[route].format(n=n, module=module, first=module[:3], rest=module[3:])
    outer = "torch.no_grad()" if route == "decorator" else ""
    return (f"\nimport functools, importlib\nimport torch\n\ndef _helper_{n}():\n    import {module}\n\n"
            f"def _reach_{n}(f):\n    @functools.wraps(f)\n    def wrapper(*args, **kwargs):\n"
            f"        {body}\n        return f(*args, **kwargs)\n    return wrapper\n\n"
            f"{task} = {outer}(_reach_{n}({task}))\n")


def _graded(assignment: str, module: str):
    tasks = tasks_of(assignment)
    source = nbformat.read(ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = notebook.worker_cells(source)
    routes = list(ROUTES)
    for n, task in enumerate(tasks):
        cell = next(c for c in cells if c["label"].endswith(f"({task})"))
        cell["source"] += _wrapped(task, routes[(n + (assignment == "ddpm_beyond")) % len(routes)], module, n)
    plans = [engine.plan(spec, "sanity") for spec in tasks.values()]
    return runner.grade_cells(cells, plans, uid=UID)


@pytest.mark.parametrize("assignment", ["ddpm_core", "ddpm_beyond"])
def test_every_route_to_a_forbidden_package_fails_and_the_same_code_without_it_passes(assignment):
    """Does every task reaching diffusers or the lab's own reference (through a helper, a decorator, importlib, exec
    or __import__) fail, named by the integrity rule where the code shows the import and by the blocker's error
    where it does not, while the same wrappers importing math pass all of them?"""
    control = _graded(assignment, "math")
    for (task, _), result in control.results.items():
        assert result.passed, result.message
    for module in ("diffusers", "reference"):
        reached = _graded(assignment, module)
        for (task, _), result in reached.results.items():
            assert not result.passed, f"{module}, {task}: {result.message}"
            said = (f"{module} is not available to graded code", f"integrity — your solution uses code that already "
                    f"does this task ('{module}')")
            assert any(words in result.message for words in said), result.message
