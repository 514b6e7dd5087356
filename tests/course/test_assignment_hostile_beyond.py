"""Can a hostile notebook game `nbgrader autograde` on `ddpm_beyond`, hurt another student, or stop the batch?

The ddpm_beyond bank of tests/support/hostile.py, graded as the ddpm_core bank is (tests/course/test_assignment_hostile.py): one
`python -m graders.batch.autograde` for the whole class, then the TA tool on the same class; "honest" and the victims get
20/20, "blank" 0. Every ploy both banks share attacks one task here too, and this bank adds what is new in this
assignment:
- forbidden libraries through a module-level helper, decorators (@torch.no_grad(), a functools.wraps wrapper) and
  indirections (importlib, __import__, exec, getattr), which the worker's sandbox answers with an ImportError
  (graders/sandbox/runner.py FORBIDDEN); a control shows the same code passing where the libraries can be imported;
- the job the grader sends into the sandbox rewritten (η, steps, the noise, ᾱ, the latents' statistics) or cut
  short; the stand-in decoder and model patched; forged call logs;
- what cannot be compared: a tensor subclass lying about its per-example shape, NaN, ±inf, huge integers, complex
  results; the grader's memory spent through the call log and forged replies; a stall deaf to SIGALRM, held to the
  submission's grading budget; links to the course's seed, gradebook and config, which must leave no byte in
  autograded/ or feedback/.

The instructor's sample_latent calls ddim_sample, which calls ddim_step: an attack on one of them costs the tasks
whose solutions call it too (hostile.callers_of), and nothing more. The module is skipped unless bubblewrap works and
we are root, but for the control, which runs unconfined code that only imports.
"""
from __future__ import annotations

import pytest

from course import run_nbgrader
from graders.sandbox.runner import SUBMISSION_BUDGET_S
from hostile import *  # noqa: F403 - the fixtures and the checks every bank runs (hostile.__all__)
from hostile import (DETACHED, EXIT, EXIT_TOP, FORGE, FORGE_TOP, HANG, KILL, KILL_TOP, LIAR_TENSOR, LIMITS, LINKS, LOCK,
                     LOOKUP, PATCH_BUILTINS, PATCH_CHECKS, PIPES, SEED, SHADOW, SHADOW_LAUNCHER, STEAL, TAMPER_TESTS,
                     WRITE_OUTSIDE, Bank, Ploy, cell_outputs, confined, verdict)

pytestmark = pytest.mark.slow

ASSIGNMENT = "ddpm_beyond"
# Bound on the grading processes' peak resident memory (nbgrader's autograde, Dask's nannies and workers, the kernel
# launcher; not the sandboxes) while they grade this class, the amplifier among it: about 0.45 GiB with the replies
# budgeted (graders/sandbox/runner.py), against 2.2 GiB (autograde) to 3.9 GiB (a TA-tool worker) without.
GRADER_PEAK_GIB = 1.0

BEYOND = Bank(ASSIGNMENT, wrong={"kl_term": "torch.zeros(x0.shape[0], dtype=x0.dtype)", "ddim_step": "x_t",
                                 "ddim_sample": "x_T", "sample_latent": "decoder(z_T)"},
              right={"kl_term": "reference.vlb_term(model, x0, x_t, t, reference.Schedule.from_betas(betas))"
                                ".to(x0.dtype)"})

# ---- forbidden libraries by routes a reading of the graded function does not see -------------------------------------

# Each DDIM task on diffusers' scheduler, given its class: a solution that lets the library do the task.
DDIM_ON_DIFFUSERS = '''import torch


def _scheduler(DDIMScheduler, alpha_bar, gap):
    """diffusers' DDIM scheduler on the course's ᾱ, stepping `gap` timesteps at a time."""
    scheduler = DDIMScheduler(num_train_timesteps=gap, clip_sample=False, set_alpha_to_one=True)
    scheduler.alphas_cumprod = alpha_bar  # the course's float64 ᾱ, all T of them
    scheduler.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    scheduler.num_inference_steps = 1  # one step of `gap`: from t to t - gap
    return scheduler


def _diffusers_step(DDIMScheduler, model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Eq. 12 by diffusers, one example at a time (each has its own t and t_prev)."""
    eps_pred = model(x_t, t)
    x_prev = [_scheduler(DDIMScheduler, alpha_bar, int(t[i] - t_prev[i])).step(
        eps_pred[i], int(t[i]), x_t[i], eta=eta, variance_noise=noise[i]).prev_sample for i in range(x_t.shape[0])]
    return torch.stack(x_prev).to(x_t.dtype)


def _diffusers_sample(DDIMScheduler, model, x_T, alpha_bar, steps, eta, noises):
    """DDIM over diffusers' trailing timesteps, from the top, each step by _diffusers_step."""
    spacing = DDIMScheduler(num_train_timesteps=len(alpha_bar), timestep_spacing="trailing")
    spacing.set_timesteps(steps)
    taus = [int(tau) for tau in spacing.timesteps] + [-1]  # descending, then the data
    x_t = x_T
    for k in range(steps):
        t, t_prev = (torch.full((x_T.shape[0],), tau, dtype=torch.long) for tau in taus[k:k + 2])
        x_t = _diffusers_step(DDIMScheduler, model, x_t, t, t_prev, alpha_bar, eta, noises[steps - 1 - k])
    return x_t


def _diffusers_latent(DDIMScheduler, model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    zeros = torch.zeros(steps, *z_T.shape, dtype=z_T.dtype)
    return decoder(z_std * _diffusers_sample(DDIMScheduler, model, z_T, alpha_bar, steps, 0.0, zeros) + z_mean)
'''

DIFFUSERS_HELPER = Ploy("18-diffusers-helper", "ddim_step, ddim_sample and sample_latent on diffusers' DDIMScheduler, "
                        "imported in a module-level helper the graded functions call (and at the top level, to warm "
                        "it): the integrity rule once read only the graded function's own code, and gave 15 of 20",
                        DDIM_ON_DIFFUSERS + '''

def _ddim():
    """diffusers' DDIM scheduler class, imported here rather than in the graded functions."""
    from diffusers import DDIMScheduler

    return DDIMScheduler


try:
    _ddim()  # top level: the first import takes seconds, longer than a graded call may
except ImportError:
    pass
''')

FORBIDDEN_ROUTES = Ploy("19-forbidden-routes", "every task through reference/ or diffusers by a route of its own: "
                        "kl_term under @torch.no_grad() and a functools.wraps wrapper, importing reference/ by "
                        "importlib and a computed name; ddim_step by exec; ddim_sample by __import__ under "
                        "@torch.no_grad(); sample_latent by getattr(builtins, '__import__')", DDIM_ON_DIFFUSERS + '''
import builtins
import functools
import importlib


def _passed_through(fn):
    """A wrapper that only calls fn: what a reading of the graded function's code sees instead of fn's."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper
''')

FORBIDDEN_ATTACKS = [
    BEYOND.attack(DIFFUSERS_HELPER, '''def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    return _diffusers_step(_ddim(), model, x_t, t, t_prev, alpha_bar, eta, noise)
''', '''def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    return _diffusers_sample(_ddim(), model, x_T, alpha_bar, steps, eta, noises)
''', '''def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    return _diffusers_latent(_ddim(), model, decoder, z_T, alpha_bar, steps, z_mean, z_std)
'''),
    BEYOND.attack(FORBIDDEN_ROUTES, '''@torch.no_grad()
@_passed_through
def kl_term(model, x0, x_t, t, betas):
    reference = importlib.import_module("".join(("refer", "ence")))
    return reference.vlb_term(model, x0, x_t, t, reference.Schedule.from_betas(betas)).to(x0.dtype)
''', '''def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    found = {}
    exec("from diffusers import DDIMScheduler", found)
    return _diffusers_step(found["DDIMScheduler"], model, x_t, t, t_prev, alpha_bar, eta, noise)
''', '''@torch.no_grad()
def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    diffusers = __import__("".join(("diff", "users")))
    return _diffusers_sample(diffusers.DDIMScheduler, model, x_T, alpha_bar, steps, eta, noises)
''', '''def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    diffusers = getattr(builtins, "__import__")("".join(("diff", "users")))
    return _diffusers_latent(diffusers.DDIMScheduler, model, decoder, z_T, alpha_bar, steps, z_mean, z_std)
'''),
]

# ---- the job, the stand-ins and the call log -------------------------------------------------------------------------

# What the ploys below reach inside the grading worker: its locals, and its channel to the grader.
IN_THE_WORKER = '''import json
import os
import sys

import torch


def _worker(name):
    """The grading worker's local `name` (`job`: what the grader sent; `unit`, `index`: the check running), from a
    frame of graders/sandbox/worker.py above mine; None in the notebook's kernel."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith("worker.py") and name in frame.f_locals:
            return frame.f_locals[name]
        frame = frame.f_back
    return None


def _level():
    unit = _worker("unit")
    return unit["level"] if unit is not None else "sanity"


''' + PIPES + '''

def _to_the_grader(reply):
    """`reply` as a reply of the check running, written straight down every pipe (inside the worker only)."""
    index = _worker("index")
    if index is not None:
        line = (json.dumps(["reply", index, reply]) + "\\n").encode()
        for fd in _pipes():
            try:
                os.write(fd, line)
            except OSError:
                pass


def _reply(data, shape, model_calls=None):
    """A well-formed reply of a float64 tensor."""
    output = {"tensor": {"dtype": "float64", "shape": shape, "device": "cpu", "data": data}}
    return {"kind": "ok", "output": output, "changed": [], "model_calls": model_calls, "printed": 0, "warned": None,
            "seconds": 0.001}
'''

TAMPER_JOB = Ploy("20-tamper-job", "rewrites the job the grader sent into its sandbox, for every DDIM call to come: "
                  "ᾱ = 1 (in the arguments and the stand-in's own table), η = 0, steps = 1, zero noise, z_mean = 0, "
                  "z_std = 1; then returns the input, right for what it is handed", IN_THE_WORKER + '''

# Where each tampered input sits among a call's arguments, and what it becomes.
TAMPERED = {"ddim_step": {4: "ones", 5: 0.0, 6: "zeros"},  # alpha_bar, eta, noise
            "ddim_sample": {2: "ones", 3: 1, 4: 0.0, 5: "zeros"},  # alpha_bar, steps, eta, noises
            "sample_latent": {3: "ones", 4: 1, 5: "zeros", 6: "ones"}}  # alpha_bar, steps, z_mean, z_std


def _tamper():
    for unit in (_worker("job") or {"units": []})["units"]:
        for call in unit["calls"]:
            for where, value in TAMPERED.get(unit["function"], {}).items():
                if isinstance(value, str):
                    data = call[where]["tensor"]["data"]
                    data[:] = [1.0 if value == "ones" else 0.0] * len(data)
                else:
                    call[where]["number"] = value
            for arg in call:  # the stand-in network's own ᾱ table
                if "alpha_bar" in arg.get("model", {}):
                    arg["model"]["alpha_bar"] = [1.0] * len(arg["model"]["alpha_bar"])


_tamper()  # top level: the worker's job is a few frames up while it loads the notebook
''', call="_tamper()")

DROP_CASES = Ploy("21-drop-cases", "answers the cases of 2-D latents (with the instructor's code) and nothing else, "
                  "and deletes every case after the first 2-D ones from the check the grader sent, so that each reply "
                  "it sends is right", IN_THE_WORKER + '''

def _drop_the_rest():
    """Cut the running check's cases before the first whose latent is not 2-D."""
    calls = (_worker("unit") or {"calls": []})["calls"]
    del calls[next((i for i, call in enumerate(calls) if call[2]["tensor"]["shape"][1] != 2), len(calls)):]


def _latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    z0_hat = ddim_sample(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape, dtype=z_T.dtype))
    return decoder(z_std * z0_hat + z_mean)
''', call="_drop_the_rest()",
                  returns="_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std) if z_T.shape[1] == 2 "
                          "else {wrong}")

PATCH_STAND_INS = Ploy("22-patch-stand-ins", "patches the stand-ins it is handed, in the worker's own module: every "
                       "ToyDecoder from the top level on, and once handed them, the decoder's and the spy's classes "
                       "and the Gaussian ε-predictor, all to zeros", '''import sys

import torch

STAND_INS = sys.modules.get("".join(("grad", "ers.engine.stand_ins")))  # the worker's; the grader answers from the same file


def _image_of_zeros(self, z):
    return torch.zeros(z.shape[0], 1, 8, 8, dtype=z.dtype)


def _no_noise(self, x_t, t):
    return torch.zeros_like(x_t)


def _patch(model=None, decoder=None):
    if STAND_INS is not None:
        STAND_INS.ToyDecoder.__call__ = _image_of_zeros
        if model is not None:
            STAND_INS.GaussianEps.__call__ = _no_noise
    if decoder is not None:
        type(decoder).__call__ = _image_of_zeros
    if model is not None:
        type(model).__call__ = _no_noise
        model.eps_fn = lambda x_t, t: torch.zeros_like(x_t)


_patch()  # top level: the decoder only, which no other task is handed
''', call="_patch(model, decoder)")

FORGE_CALLS = Ploy("23-forge-calls", "never calls the model, and leaves a forged call log on the spy instead: the "
                   "trailing timesteps an honest loop leaves, then integers past int64, floats, text, booleans, a "
                   "dict, and a list nested 100,000 deep", '''import torch

_FORGED = []  # one entry per log forged so far


def _nested(depth):
    log = []
    for _ in range(depth):
        log = [log]
    return log


def _forge(model, T, steps, B):
    """A call log in place of the spy's own, another kind on each call."""
    trailing = [round(j * T / steps) - 1 for j in range(steps, 0, -1)]
    logs = [[[t] * B for t in trailing], [[10**30] * B for t in trailing], [[float(t)] * B for t in trailing],
            [["t"] * B for t in trailing], [[True] * B for t in trailing], {"calls": trailing}, _nested(100_000)]
    model.calls = logs[len(_FORGED) % len(logs)]
    _FORGED.append(model.calls)
''', call="_forge(model, len(alpha_bar), steps, x_T.shape[0])")

# ---- what cannot be compared, and what costs the grader --------------------------------------------------------------

FORGED_SHAPE = Ploy("24-forged-shape", "returns one number for the whole batch as a torch.Tensor subclass whose shape, "
                    "size(), dim(), numel(), len(), == and tolist() all claim one per example", '''import torch


class PerExample(torch.Tensor):
    """A tensor that claims the shape `claimed`, whatever it holds."""

    claimed = torch.Size([])

    @property
    def shape(self):
        return self.claimed

    def size(self, dim=None):
        return self.claimed if dim is None else self.claimed[dim]

    def dim(self):
        return len(self.claimed)

    def numel(self):
        return self.claimed.numel()

    def __len__(self):
        return self.claimed[0]

    def __eq__(self, other):
        return torch.ones(self.claimed, dtype=torch.bool)

    def tolist(self):
        return [0.0] * self.claimed.numel()


def _claiming(value, B):
    out = value.as_subclass(PerExample)
    out.claimed = torch.Size([B])
    return out
''', returns="_claiming(({wrong}).sum(), x0.shape[0])  # one number, said to be (B,)")

NONFINITE = Ploy("25-nonfinite", "returns what cannot be compared: NaN, +inf and -inf among huge finite values "
                 "(kl_term's visible check), a complex result (its hidden one), int64 values of 2^62 (sample_latent's "
                 "visible check), and a Python int of 400 digits, also sent down the pipe inside a reply (its hidden "
                 "one)", IN_THE_WORKER + '''
import math


def _kl_of_no_number(B, dtype):
    if _level() == "sanity":
        return torch.tensor([math.nan, math.inf, -math.inf, 1e308] * B, dtype=dtype)[:B]
    return torch.zeros(B, dtype=torch.complex128)


def _image_of_no_number(B):
    if _level() == "sanity":
        return torch.full((B, 1, 8, 8), 2**62, dtype=torch.int64)
    _to_the_grader(_reply([10**400], [1]))
    return 10**400
''')

AMPLIFY = Ploy("26-amplify", "spends the grader's memory: a call log of two million entries on the spy (kl_term), "
               "and forged replies straight down the pipe (sample_latent): one of three million empty lists, then "
               "sixteen of 45,000 each, every one under a reply's budget and together over a check's",
               IN_THE_WORKER + '''

def _amplified_log(model):
    """The call log the worker sends back: two million entries, empty or of 64 timesteps."""
    model.calls = [[]] * 2_000_000 if _level() == "sanity" else [[0] * 64] * 2_000_000


def _amplified_replies():
    if _level() == "sanity":
        _to_the_grader(_reply([0.0], [], [[]] * 3_000_000))
    else:
        for _ in range(16):
            _to_the_grader(_reply([0.0], [], [[]] * 45_000))
''')

STALL = Ploy("27-stall", "kl_term and sample_latent block SIGALRM and sleep forever: each check runs to the grader's "
             "deadline, and the whole submission to its grading budget", '''import signal
import time

import torch


def _never_return():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the worker's per-call alarm never arrives
    while True:
        time.sleep(60)  # asleep, not spinning: what is spent is the grader's time, not the machine's
''', call="_never_return()")

ATTACKS = [
    *BEYOND.attacks(kl_term=(SHADOW, PATCH_CHECKS, WRITE_OUTSIDE, LOCK, KILL_TOP, EXIT, LIMITS, FORGE_TOP, TAMPER_TESTS,
                             SHADOW_LAUNCHER),
                    ddim_step=(STEAL,), ddim_sample=(PATCH_BUILTINS, HANG, FORGE_CALLS),
                    sample_latent=(LIAR_TENSOR, DETACHED, KILL, EXIT_TOP, FORGE, LOOKUP, LINKS, DROP_CASES,
                                   PATCH_STAND_INS)),
    *FORBIDDEN_ATTACKS,
    BEYOND.attack(TAMPER_JOB, tasks=("ddim_step", "ddim_sample", "sample_latent")),
    BEYOND.attack(FORGED_SHAPE, tasks=("kl_term",)),
    BEYOND.attack(NONFINITE, '''def kl_term(model, x0, x_t, t, betas):
    return _kl_of_no_number(x0.shape[0], x0.dtype)
''', '''def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    return _image_of_no_number(z_T.shape[0])
'''),
    BEYOND.attack(AMPLIFY, '''def kl_term(model, x0, x_t, t, betas):
    _amplified_log(model)
    return torch.zeros(x0.shape[0], dtype=x0.dtype)
''', '''def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    _amplified_replies()
    return decoder(z_T)
'''),
    BEYOND.attack(STALL, tasks=("kl_term", "sample_latent")),
]


@pytest.fixture(scope="module")
def feedback(graded):
    """`nbgrader generate_feedback` for the attacker who handed in links and for the honest student."""
    for student in (graded.of(LINKS).student, "honest"):
        run_nbgrader("generate_feedback", ASSIGNMENT, "--student", student, cwd=graded.course,
                     env={"PYTHONPATH": str(graded.lab)}, timeout=600)
    return graded.course / "feedback"


# ---- course files behind links ---------------------------------------------------------------------------------------

@confined
def test_links_to_course_files_leave_no_byte_in_autograded_or_feedback(graded, feedback):
    """Do autograded/ and feedback/ of the attacker who handed in links to the seed, the gradebook, the config, the
    source notebook and the course (and a hard link to the config) hold what the honest student's hold, with none of
    those files' bytes, and say what was left out? (graders/nbgrader/submission_files.py sets them aside in refused/.)"""
    student = graded.of(LINKS).student
    config = (graded.course / "nbgrader_config.py").read_text()
    secrets = {"the seed": SEED.encode(), "the gradebook": b"SQLite format 3",
               **{f"the config's {line!r}": line.encode() for line in config.splitlines() if line.startswith("c.")}}
    for stage in ("autograded", "feedback"):
        mine, theirs = (graded.course / stage / s / ASSIGNMENT for s in (student, "honest"))
        assert sorted(p.name for p in mine.rglob("*")) == sorted(p.name for p in theirs.rglob("*")), stage
    for path in [*(graded.course / "autograded").rglob("*"), *(graded.course / "feedback").rglob("*")]:
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        assert not [what for what, secret in secrets.items() if secret in data], path
    page = (graded.course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Left out of grading" in page and "seed.txt: a symbolic link" in page
    refused = graded.course / "refused" / student / ASSIGNMENT
    assert sorted(p.name for p in refused.iterdir()) == sorted(n for n, _ in LINKS.links + LINKS.hard_links)


# ---- what costs the grader -------------------------------------------------------------------------------------------

@confined
def test_grading_processes_memory_stays_bounded(graded, ta_run):
    """With the amplifier in the class (a two-million-entry call log, forged replies of three million values), did
    every grading process, under nbgrader's autograde and the TA tool alike, peak under GRADER_PEAK_GIB?"""
    for front_end, peak in (("autograde", graded.peak), ("TA tool", ta_run.peak)):
        assert 0 < peak.bytes < GRADER_PEAK_GIB * 2**30, f"{front_end}: {peak.bytes / 2**30:.2f} GiB ({peak.command})"


@confined
def test_a_stalling_submission_is_held_to_its_grading_budget(graded, ta_run):
    """Does the notebook whose two functions block SIGALRM and sleep forever end at its grading budget under
    autograde (its feedback saying so), and within its two checks' deadlines under the TA tool?"""
    stall = graded.of(STALL)
    assert "grading time" in verdict(graded.course, stall.student, "test_sample_latent_hidden", ASSIGNMENT)
    assert "grading time" not in cell_outputs(graded.course, "honest", ASSIGNMENT)
    assert ta_run.runtimes[stall.student] < SUBMISSION_BUDGET_S, ta_run.runtimes[stall.student]
