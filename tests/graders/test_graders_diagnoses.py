"""Does the feedback name what students actually get wrong, and never tell a false story?

Fast, engine-level (graders/student/checks.py in this process, no nbgrader): tests/graders/test_graders_checks.py runs every planted
file of tests/graders/submissions/ at both levels and requires its diagnosis; tests/course/test_assignment_pipeline.py runs
them through the real `nbgrader autograde`. Here: the catalogue's size per task, correct code made slightly wrong
in a way no catalogue entry describes (never given a story), and upstream blame (a task that fails only because the
student's own earlier function is wrong), including what its call log may and may not do.
"""
from __future__ import annotations

import json

import pytest
import torch

from bench.bench_fairness import variants
from graders.engine import judging as engine
from graders.engine import wire
from graders.sandbox import worker
from graders.student.checks import run_check
from graders.engine.diagnoses import DIAGNOSES
from graders.engine.tasks import ASSIGNMENTS, tasks_of
from planted import HELDOUT, load, planted

AT_LEAST = {"ddpm_core": 12, "ddpm_beyond": 8}  # known mistakes per task, each with a planted file
UPSTREAM_KEYS = {"calls_wrong_q_sample", "calls_wrong_ddim_step", "calls_wrong_ddim_sample"}


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_catalogue_has_enough_planted_mistakes_per_task(assignment):
    """Does every task have at least 12 (ddpm_core) or 8 (ddpm_beyond) known mistakes of its own, each named by a
    planted file's header (upstream blame aside)?"""
    named: dict[str, set[str]] = {task: set() for task in tasks_of(assignment)}
    for p in planted(assignment):
        if p.expect in DIAGNOSES and p.expect not in UPSTREAM_KEYS:
            named[p.task].add(p.expect)
    short = {task: len(keys) for task, keys in named.items() if len(keys) < AT_LEAST[assignment]}
    assert not short, short


def test_every_chain_has_a_planted_blame():
    """Is upstream blame planted for all three chains: eps_loss on q_sample, ddim_sample on ddim_step,
    sample_latent on ddim_sample?"""
    chains = {(p.task, p.upstream.split("__")[0]) for p in planted() if p.upstream and p.expect in UPSTREAM_KEYS}
    assert chains == {("eps_loss", "q_sample"), ("ddim_sample", "ddim_step"), ("sample_latent", "ddim_sample")}


@pytest.mark.parametrize("p", planted(folder=HELDOUT), ids=lambda p: f"{p.assignment}/{p.stem}")
def test_held_out_mistakes_in_other_styles_are_named(p):
    """Is each mistake of tests/graders/heldout/ (written apart from the catalogue: NumPy loops, ports of public code,
    torch.nn.functional, torch.distributions) named by its key in the hidden check's feedback?"""
    result = run_check(p.task, load(p), "full", p.assignment)
    assert result.diagnosis == p.expect, result.message
    assert DIAGNOSES[p.expect].sentence in result.message


@pytest.mark.parametrize("v", variants(), ids=lambda v: f"{v.assignment}/{v.label}")
def test_correct_code_one_percent_off_gets_no_story(v):
    """Is a correct variant whose output is 1 % off (a mistake no catalogue entry describes) told "no known mistake
    matches" with the measured error, never the nearest wrong story?"""
    result = run_check(v.task, lambda *args: v.fn(*args) * 1.01, "full", v.assignment)
    assert result.status == "wrong" and result.diagnosis is None, result.message
    assert "No known mistake matches" in result.message and "max |error|" in result.message


# ---- upstream blame ---------------------------------------------------------------------------------------------

def _student(source: str, task: str):
    namespace: dict = {}
    exec(source, namespace)
    return namespace[task]


WRONG_Q = '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return ab * x0 + (1 - ab) * noise
'''
RIGHT_Q = '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
'''


@pytest.mark.parametrize("level", ["sanity", "full"])
def test_blame_names_the_upstream_function_to_fix_first(level):
    """Does an eps_loss that is right given its own wrong q_sample say to fix q_sample first, and that its own code
    is right?"""
    fn = _student(WRONG_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                  "    return ((noise - model(q_sample(x0, t, noise, alpha_bar), t)) ** 2).mean()\n", "eps_loss")
    result = run_check("eps_loss", fn, level, "ddpm_core")
    assert result.diagnosis == "calls_wrong_q_sample", result.message
    assert "fix q_sample first" in result.message and "own code is right" in result.message


def test_blame_outranks_what_the_model_spy_saw():
    """Does a right ddim_sample over a ddim_step that calls the model at t + 1 blame ddim_step, though the spy sees
    the wrong timesteps in ddim_sample's own check?"""
    fn = _student('''
import torch

def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].reshape(shape).to(x_t.dtype)
    ab_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])[t_prev + 1].reshape(shape).to(x_t.dtype)
    eps_pred = model(x_t, t + 1)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred + sigma * noise

def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    taus = [round(j * len(alpha_bar) / steps) - 1 for j in range(1, steps + 1)]
    x_t = x_T
    for i in reversed(range(steps)):
        t = torch.full((x_T.shape[0],), taus[i], dtype=torch.long)
        t_prev = torch.full((x_T.shape[0],), taus[i - 1] if i > 0 else -1, dtype=torch.long)
        x_t = ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noises[i])
    return x_t
''', "ddim_sample")
    result = run_check("ddim_sample", fn, "full", "ddpm_beyond")
    assert result.diagnosis == "calls_wrong_ddim_step", result.message
    assert "the model was called" in result.message and "fix ddim_step first" in result.message


def test_no_blame_when_the_task_itself_is_wrong_too():
    """Does an eps_loss that calls a wrong q_sample and also sums where it should average get no upstream blame (its
    own code is not right), and no story either (two mistakes at once are no catalogue entry)?"""
    fn = _student(WRONG_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                  "    return ((noise - model(q_sample(x0, t, noise, alpha_bar), t)) ** 2).sum()\n", "eps_loss")
    result = run_check("eps_loss", fn, "full", "ddpm_core")
    assert result.status == "wrong" and result.diagnosis is None, result.message


def test_no_blame_when_the_upstream_function_is_right():
    """Does an eps_loss that calls a right q_sample but takes |ε − ε_θ| get its own diagnosis, not upstream blame?"""
    fn = _student(RIGHT_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                  "    return (noise - model(q_sample(x0, t, noise, alpha_bar), t)).abs().mean()\n", "eps_loss")
    assert run_check("eps_loss", fn, "full", "ddpm_core").diagnosis == "l1_loss"


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_the_sandbox_gets_names_not_answers(assignment):
    """Does a worker unit ask for upstream calls by the names of the assignment's earlier tasks only, beside the
    case's own inputs, so that no answer of the grader's reaches the student's process?"""
    names = list(tasks_of(assignment))
    for task, spec in tasks_of(assignment).items():
        unit = engine.plan(spec, "sanity").unit()
        assert set(unit) == {"task", "level", "function", "calls", "call_time_limit", "unit_time_limit", "upstream"}
        assert all(names.index(u) < names.index(task) for u in unit["upstream"]), unit["upstream"]
        assert json.loads(json.dumps(unit["calls"])) == engine.plan(spec, "sanity").wire


def test_recorder_passes_results_through_and_restores_the_namespace():
    """Does the worker record each upstream call's arguments and result, hand the student's own result back
    unchanged, put the student's function back after the call (after a raise too), and cut a log that grows past
    MAX_RECORDED_VALUES?"""
    namespace: dict = {}
    exec(RIGHT_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
         "    x_t = q_sample(x0, t, noise, alpha_bar)\n"
         "    if x0.shape[0] > 50:\n"
         "        raise ValueError('too big')\n"
         "    return x_t.sum()\n", namespace)
    original = namespace["q_sample"]
    x0, t, alpha_bar = torch.ones(3, 2), torch.tensor([0, 1, 2]), torch.tensor([0.9, 0.5, 0.1], dtype=torch.float64)
    args = [{"tensor": wire.encode_tensor(a)} for a in (x0, t, x0, alpha_bar)]
    reply = worker.call(namespace["eps_loss"], [{"number": 0}, *args], 1.0, ["q_sample"])
    log = reply["upstream_calls"]
    assert namespace["q_sample"] is original and not log["cut"] and len(log["calls"]) == 1
    call = log["calls"][0]
    assert list(call["args"]) == ["x0", "t", "noise", "alpha_bar"]
    assert sum(call["output"]["tensor"]["data"]) == pytest.approx(reply["output"]["tensor"]["data"][0])
    big = torch.ones(60, 100)
    args = [{"tensor": wire.encode_tensor(a)} for a in (big, torch.zeros(60, dtype=torch.long), big, alpha_bar)]
    reply = worker.call(namespace["eps_loss"], [{"number": 0}, *args], 1.0, ["q_sample"])
    assert reply["kind"] == "error" and namespace["q_sample"] is original
    assert reply["upstream_calls"] == {"calls": [], "cut": True}


def test_a_forged_call_log_changes_no_grade_and_breaks_nothing():
    """Does a well-formed but forged log (a q_sample output of another shape) leave a failing eps_loss failing, with
    no blame and no crash of the grader?"""
    plan = engine.plan(tasks_of("ddpm_core")["eps_loss"], "sanity")
    fn = _student(WRONG_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                  "    return ((noise - model(q_sample(x0, t, noise, alpha_bar), t)) ** 2).mean()\n", "eps_loss")
    replies = [worker.call(fn, args, 1.0, ["q_sample"]) for args in plan.wire]
    for reply in replies:
        reply["upstream_calls"]["calls"][0]["output"] = {"tensor": wire.encode_tensor(torch.ones(7))}
    result = engine.judge(plan, replies)
    assert not result.passed and result.status == "wrong" and result.diagnosis != "calls_wrong_q_sample"


def test_a_forged_call_log_is_out_of_protocol():
    """Is a reply whose upstream-call log is not of the worker's form refused as out of protocol, not read?"""
    plan = engine.plan(tasks_of("ddpm_core")["eps_loss"], "sanity")
    fn = _student(RIGHT_Q + "\ndef eps_loss(model, x0, t, noise, alpha_bar):\n"
                  "    return ((noise - model(q_sample(x0, t, noise, alpha_bar), t)) ** 2).mean()\n", "eps_loss")
    replies = [worker.call(fn, args, 1.0, ["q_sample"]) for args in plan.wire]
    replies[0]["upstream_calls"] = {"calls": [{"function": "q_sample", "args": {"x0": {"code": "import os"}},
                                               "output": {"number": 1.0}}], "cut": False}
    result = engine.judge(plan, replies)
    assert not result.passed and result.status == "error" and "out of protocol" in result.message
