"""The four tasks of the `ddpm_beyond` assignment as specs for the engine, 20 points in all:

- kl_term: one KL term of the bound, L_{t-1} = KL(q(x_{t-1} | x_t, x_0) ‖ p_θ(x_{t-1} | x_t)) (eq. 5), in nats;
- ddim_step: one DDIM step with η (Song et al. 2021, eq. 12);
- ddim_sample: DDIM over the trailing sub-sequence of `steps` timesteps (Lin et al. 2024, Table 2);
- sample_latent: a latent DDPM sampled by DDIM, un-standardised and decoded (Rombach et al. 2022).

As in graders/engine/tasks/ddpm_core.py, each spec gives seeded cases, the student's inputs, the answer from
`reference/` on exactly those inputs in float64, and the inputs of the known wrong formulas
(graders/engine/diagnoses/ddpm_beyond.py).
"""
from __future__ import annotations

import dataclasses

import torch

import reference

from ..cases import PUBLIC_SEED, Case, cases_for
from ..judging import TaskSpec, model_arg
from ..stand_ins import ToyDecoder, toy_eps
from ..upstream import UpstreamLog, close, equal_to
from .common import GAUSSIAN, batch_t_spy, clamped, f64, gaussian

EQ5 = ("eq. 5's L_{t-1}: KL(q(x_{t-1} | x_t, x_0) ‖ p_θ(x_{t-1} | x_t)) = Σ over dimensions of ½·(log(σ_t²/β̃_t) "
       "+ β̃_t/σ_t² + (μ̃_t − μ_θ)²/σ_t² − 1), σ_t² = β_t, μ_θ from eq. 11")
EQ12 = ("Song et al. eq. 12: x_prev = √ᾱ_prev·x̂0 + √(1 − ᾱ_prev − σ²)·ε_θ + σ·z, x̂0 = (x_t − √(1 − ᾱ_t)·ε_θ)/√ᾱ_t, "
        "σ = η·√((1 − ᾱ_prev)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev), ᾱ_prev = 1 at t_prev = −1")
TRAILING = ("DDIM over the trailing timesteps: Song et al. eq. 12 at τ_j = round(j·T/steps) − 1, j = steps … 1, then "
            "to the data; z = noises[j − 1] on the step from τ_j")
LATENT = ("latent diffusion: ẑ0 by DDIM (η = 0, trailing timesteps) from z_T, then z0 = z_std·ẑ0 + z_mean and "
          "x = decoder(z0)")
ETAS = (0.0, 0.5, 1.0)
LATENT_DIMS = (2, 8)


def _with(cases: list[Case], level: str, sanity: list[dict], full) -> list[Case]:
    """The cases with a task's settings: `sanity[i]` for the i-th visible case, fixed so that every seed's visible
    check can see the usual mistakes; full(case) -> settings, seeded by the case, for the hidden ones."""
    chosen = sanity if level == "sanity" else [full(c) for c in cases]
    return [dataclasses.replace(c, params=tuple(p.items())) for c, p in zip(cases, chosen)]


def _seeded_eta(case: Case) -> float:
    """η = 0, 0.5 or 1 by the case's seed; float32 cases take 0.5 for 1.

    The direction's √(1 − ᾱ_prev − σ²) is √((1 − ᾱ_prev)·b), b = 1 − η²(1 − ᾱ_t/ᾱ_prev)/(1 − ᾱ_t), and a correct
    step computes it as a difference of terms of order 1 − ᾱ_prev, each rounded. At η = 1, b = ᾱ_t(1 − ᾱ_prev)/
    (ᾱ_prev(1 − ᾱ_t)): 2e-9 at t = T − 1 of the cosine schedule with T = 1000 (ᾱ_t = 2.4e-9), 4e-9 with the linear
    one, 3e-6 on DDIM's first of 3 steps with T = 50 — within a few float32 roundings (1.2e-7 each) of 0, so float32
    made it negative, NaN, for the instructor's solution and ports of public code at 55 to 76 of 500 course seeds.
    At η = 0.5, b ≥ 0.75; in float64 at η = 1, b ≥ 1e-13 (cosine, T = 1000, t = 999, t_prev = 0), 450 roundings of
    0. So the extremes stay, in float64.
    """
    eta = ETAS[case.seed % 3]
    return eta if case.dtype == torch.float64 else min(eta, 0.5)


def _one_step(case: Case) -> bool:
    """The case that takes steps = 1, one in every seed's hidden cases: the batch of 2-D points (B ≥ 3), linear
    schedule, T = 10, float64."""
    return (case.shape[0] >= 3 and case.shape[1:] == (2,) and case.schedule_name == "linear" and case.T == 10
            and case.dtype == torch.float64)


def _seeded_steps(case: Case) -> int:
    """1 for _one_step's case; else T itself, or 3, 6, 7: these divide neither T = 10 nor 50 (where the spacings
    differ most) and never put j·T/steps on an exact half (where rounding conventions differ)."""
    if _one_step(case):
        return 1
    choices = (3, 7, case.T, 6)
    return choices[int(torch.randint(0, len(choices), (1,), generator=case.generator(6)))]


def _one_step_degenerate(case: Case) -> str | None:
    """steps = 1, the documented degenerate case of the DDIM loops."""
    if dict(case.params).get("steps") != 1:
        return None
    return "steps = 1 (one DDIM step: from t = T − 1 straight to the data)"


# ---- kl_term(model, x0, x_t, t, betas) --------------------------------------------------------------------------

def _kl_cases(level: str, seed: int) -> list[Case]:
    """The usual cases with t = 0 moved to t = 1: at t = 0 the bound's term is the decoder's L_0, not a KL."""
    return [dataclasses.replace(c, t=tuple(max(t, 1) for t in c.t)) for c in cases_for(level, seed)]


def _kl_inputs(case: Case):
    x0, t = case.randn(0), case.t_tensor()
    x_t = reference.diffuse(x0.double(), t, case.randn(1).double(), case.schedule.alpha_bar).to(case.dtype)
    return model_arg(kind="toy", T=case.T), x0, x_t, t, case.schedule.betas.clone()


def _kl_truth(case: Case, a):
    _, x0, x_t, t, _ = f64(*a)
    return reference.vlb_term(toy_eps, x0, x_t, t, case.schedule)


def _kl_wrong_args(case: Case, a):
    _, x0, x_t, t, _ = f64(*a)
    return clamped(toy_eps, case.T), x0, x_t, t, case.schedule


# ---- ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise) ------------------------------------------------------

def _t_prev(case: Case) -> tuple[int, ...]:
    """Per example, a seeded t_prev in [−1, t − 1]: −1 (the last step) at t = 0 and for about a third of the rest."""
    g = case.generator(5)
    out = []
    for t in case.t:
        last = t == 0 or float(torch.rand(1, generator=g)) < 1 / 3
        out.append(-1 if last else int(torch.randint(0, t, (1,), generator=g)))
    return tuple(out)


def _visible_t_prev(case: Case) -> tuple[int, ...]:
    """_t_prev, but the first example with t > 0 steps to t // 2, never to the data: at some seeds every draw was the
    last step, where σ, the noise and the direction term drop out, and mistakes in them passed the visible check."""
    t_prev = list(_t_prev(case))
    i = next(i for i, t in enumerate(case.t) if t > 0)  # sanity_cases hold t = T // 2 and T − 1
    t_prev[i] = case.t[i] // 2
    return tuple(t_prev)


def _step_cases(level: str, seed: int) -> list[Case]:
    cases = cases_for(level, seed)
    visible = ([{"t_prev": _visible_t_prev(c), "η": eta} for c, eta in zip(cases, (1.0, 0.5))]
               if level == "sanity" else [])
    return _with(cases, level, visible,
                 lambda c: {"t_prev": _t_prev(c), "η": _seeded_eta(c)})


def _step_inputs(case: Case):
    return (model_arg(kind="toy", T=case.T), case.randn(0), case.t_tensor(), torch.tensor(case.param("t_prev")),
            case.schedule.alpha_bar.clone(), case.param("η"), case.randn(1))


def _step_truth(case: Case, a):
    _, x_t, t, t_prev, _, eta, noise = f64(*a)
    return reference.ddim_reverse_step(toy_eps, x_t, t, t_prev, case.schedule, eta, noise).x_prev


def _step_wrong_args(case: Case, a):
    _, x_t, t, t_prev, _, eta, noise = f64(*a)
    return clamped(toy_eps, case.T), x_t, t, t_prev, case.schedule, eta, noise


# ---- ddim_sample(model, x_T, alpha_bar, steps, eta, noises) -------------------------------------------------------

def _loop_cases(level: str, seed: int) -> list[Case]:
    cases = cases_for(level, seed, Ts=(10, 50), sanity_Ts=(10, 10))
    return _with(cases, level, [{"steps": 3, "η": 1.0}, {"steps": 7, "η": 0.5}],
                 lambda c: {"steps": _seeded_steps(c), "η": _seeded_eta(c)})


def _loop_inputs(case: Case):
    model = model_arg(kind="gaussian", T=case.T, alpha_bar=case.schedule.alpha_bar.tolist(), **GAUSSIAN)
    steps = case.param("steps")
    return model, case.randn(0), case.schedule.alpha_bar.clone(), steps, case.param("η"), case.randn(1, (steps, *case.shape))


def _loop_truth(case: Case, a):
    _, x_T, _, steps, eta, noises = f64(*a)
    return reference.sample_ddim(gaussian(case), x_T.shape, case.schedule, steps, eta, x_T=x_T, noises=noises)


def _loop_wrong_args(case: Case, a):
    _, x_T, _, steps, eta, noises = f64(*a)
    return clamped(gaussian(case), case.T), x_T, case.schedule, steps, eta, noises


def _timesteps_spy(T: int, steps: int, calls: list[list[int]]):
    """Did the loop call the model once per step at the trailing τ, from the top down? Names the spacing it used."""
    per_call = [set(c) for c in calls]
    if any(len(c) != 1 for c in per_call):
        return "the model was called with different t within one batch; use one t per step", None
    seen = [c.pop() for c in per_call]
    expected = list(reversed(reference.ddim_timesteps(T, steps)))
    if seen == expected:
        return None
    shown = seen if len(seen) <= 8 else seen[:4] + ["…"] + seen[-2:]
    problem = (f"the model was called {len(seen)} times with t = {shown}; for T = {T} and steps = {steps} the "
               f"trailing timesteps are t = {expected}")
    for key, wrong in [("leading_spacing", reference.ddim_timesteps(T, steps, "leading")),
                       ("linspace_spacing", reference.ddim_timesteps(T, steps, "linspace")),
                       ("trailing_without_minus_one", [round(j * T / steps) for j in range(1, steps + 1)]),
                       ("trailing_without_minus_one", [min(round(j * T / steps), T - 1) for j in range(1, steps + 1)])]:
        if seen == list(reversed(wrong)) and wrong != expected[::-1]:
            return problem, key
    if seen == expected[::-1]:
        return problem, "ddim_ascending"
    if seen == [t + 1 for t in expected]:
        return problem, "model_t_plus_1"
    return problem, None


FLOAT32_FRAGILE = 1e-5  # b below which float32 cannot take the step (see _step_float32_fragile)


def _step_float32_fragile(case: Case, inputs: tuple) -> list[int]:
    """The examples whose step float32 arithmetic cannot take: b of _seeded_eta below FLOAT32_FRAGILE.

    Rounding each term to float32 moves √((1 − ᾱ_prev)·b) by about 2ε·√((1 − ᾱ_prev)/b), ε = 1.2e-7: for b ≥ 1e-5
    at most 8e-5 (times |ε_θ| < 1), a quarter of what counts as right to float32 (engine.float32_accuracy); below
    5e-7 the difference can round to a negative number, NaN. Only float64 cases hold such examples (η = 1).
    """
    eta, alpha_bar = case.param("η"), case.schedule.alpha_bar.tolist()
    fragile = []
    for i, (t, t_prev) in enumerate(zip(case.t, case.param("t_prev"))):
        if eta > 0 and t_prev >= 0:
            ab, ab_prev = alpha_bar[t], alpha_bar[t_prev]
            if 1 - eta**2 * (1 - ab / ab_prev) / (1 - ab) < FLOAT32_FRAGILE:
                fragile.append(i)
    return fragile


def _step_nan_spy(case: Case, inputs: tuple, bad: list[int]) -> str | None:
    """NaN only where t_prev = −1: alpha_bar[-1] wrapped round, making 1 − ᾱ_t/ᾱ_prev negative under σ's root."""
    last = {i for i, t_prev in enumerate(case.param("t_prev")) if t_prev == -1}
    return "t_prev_wrap" if bad and set(bad) <= last else None


def _loop_nan_spy(case: Case, inputs: tuple, bad: list[int]) -> str | None:
    """NaN after a run of DDIM steps: most often the last step's ᾱ_prev read as alpha_bar[-1] (see _step_nan_spy)."""
    return "t_prev_wrap" if bad else None


def _loop_spy(case: Case, calls: list[list[int]]):
    return _timesteps_spy(case.T, case.param("steps"), calls)


def _loop_blame(case: Case, inputs: tuple, log: UpstreamLog, output: torch.Tensor) -> str | None:
    """Is ddim_sample right given the student's own ddim_step? It called ddim_step once per trailing τ from the top,
    each time with the last step's output (x_T first), t = τ_j, t_prev = τ_{j-1} (−1 last), its own ᾱ and η, and
    z = noises[j − 1] when η > 0; a step's output was wrong (eq. 12) on its inputs; and it returned the last one."""
    _, x_T, alpha_bar, steps, eta, noises = f64(*inputs)
    taus, dtype = reference.ddim_timesteps(case.T, steps), case.dtype
    calls = [c for c in log.calls if c.function == "ddim_step"]
    if len(calls) != steps:
        return None
    x_t, step_wrong = x_T, False
    for k, c in enumerate(calls):
        i = steps - 1 - k
        t, t_prev = taus[i], taus[i - 1] if i > 0 else -1
        z = c.arg("noise", 6)
        if not (close(c.arg("x_t", 1), x_t, dtype) and equal_to(c.arg("t", 2), t)
                and equal_to(c.arg("t_prev", 3), t_prev)
                and close(c.arg("alpha_bar", 4), alpha_bar, dtype) and close(c.arg("eta", 5), eta, dtype)
                and (eta == 0 or close(z, noises[i], dtype)) and isinstance(c.output, torch.Tensor)):
            return None
        B = x_t.shape[0]
        right = reference.ddim_reverse_step(gaussian(case), x_t, torch.full((B,), t, dtype=torch.long),
                                    torch.full((B,), t_prev, dtype=torch.long), case.schedule,
                                    eta, noises[i] if eta > 0 else None).x_prev
        step_wrong |= not close(c.output, right, dtype)
        x_t = c.output
    return "calls_wrong_ddim_step" if step_wrong and close(output, x_t, dtype) else None


# ---- sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std) -------------------------------------------

def _latent_cases(level: str, seed: int) -> list[Case]:
    """(B, d) latents, d = 2 and 8: two small visible cases, or every d × schedule × T × dtype with B = 3 … 6 and B = 1."""
    if level == "sanity":
        first = seed - PUBLIC_SEED + 1
        cases = [Case(first, (3, 2), "linear", 10, torch.float64, ()), Case(first + 1, (3, 8), "cosine", 10, torch.float32, ())]
        # One draw of each visible z_T from the tail (z = 2.5): its ẑ0 leaves [−1, 1] at every course seed, so that
        # every seed's visible check sees a clip of ẑ0 or x̂0 (at some seeds no draw of N(0, 1) went that far).
        return _with(cases, level, [{"steps": 3, "z_tail": 2.5}, {"steps": 7, "z_tail": 2.5}], None)
    if level != "full":
        raise ValueError(f"level must be 'sanity' or 'full'; got {level!r}")
    g = torch.Generator().manual_seed(seed + 77)
    cases = []
    for i, (d, name, T, dtype) in enumerate([(d, name, T, dtype) for d in LATENT_DIMS for name in ("linear", "cosine")
                                              for T in (10, 50) for dtype in (torch.float32, torch.float64)]):
        B = int(torch.randint(3, 7, (1,), generator=g))
        cases.append(Case(seed + 100 + i, (B, d), name, T, dtype, ()))
    cases.append(Case(seed + 120, (1, 8), "linear", 10, torch.float64, ()))
    return sorted(_with(cases, level, [], lambda c: {"steps": _seeded_steps(c)}), key=lambda c: (c.size, c.T, c.seed))


def _latent_stats(case: Case) -> tuple[torch.Tensor, torch.Tensor]:
    """The latents' per-dimension mean and standard deviation, (d,) each, as a trained VAE's encoder would give."""
    g = case.generator(8)
    d = case.shape[1]
    mean = torch.randn(d, generator=g, dtype=torch.float64)
    std = 0.5 + 1.5 * torch.rand(d, generator=g, dtype=torch.float64)
    return mean.to(case.dtype), std.to(case.dtype)


def _latent_inputs(case: Case):
    model = model_arg(kind="gaussian", T=case.T, alpha_bar=case.schedule.alpha_bar.tolist(), **GAUSSIAN)
    z_mean, z_std = _latent_stats(case)
    z_T = case.randn(0)
    tail = dict(case.params).get("z_tail")
    if tail is not None:
        z_T[0, 0] = tail
    return (model, model_arg(kind="decoder", dim=case.shape[1]), z_T, case.schedule.alpha_bar.clone(),
            case.param("steps"), z_mean, z_std)


def _latent_truth(case: Case, a):
    _, _, z_T, _, steps, z_mean, z_std = f64(*a)
    z0_hat = reference.sample_ddim(gaussian(case), z_T.shape, case.schedule, steps, 0.0, x_T=z_T)
    return ToyDecoder(case.shape[1])(z_std * z0_hat + z_mean)


def _latent_wrong_args(case: Case, a):
    _, _, z_T, _, steps, z_mean, z_std = f64(*a)
    return clamped(gaussian(case), case.T), ToyDecoder(case.shape[1]), z_T, case.schedule, steps, z_mean, z_std


def _latent_spy(case: Case, calls: list[list[int]]):
    return _timesteps_spy(case.T, case.param("steps"), calls)


def _latent_blame(case: Case, inputs: tuple, log: UpstreamLog, output: torch.Tensor) -> str | None:
    """Is sample_latent right given the student's own ddim_sample? It called ddim_sample once, on z_T, its own ᾱ and
    steps, η = 0; ddim_sample's ẑ0 was wrong; and the images are decoder(z_std·ẑ0 + z_mean) of that very ẑ0."""
    _, _, z_T, alpha_bar, steps, z_mean, z_std = f64(*inputs)
    calls = [c for c in log.calls if c.function == "ddim_sample"]
    if len(calls) != 1:
        return None
    c, dtype = calls[0], case.dtype
    if not (close(c.arg("x_T", 1), z_T, dtype) and close(c.arg("alpha_bar", 2), alpha_bar, dtype)
            and equal_to(c.arg("steps", 3), steps) and equal_to(c.arg("eta", 4), 0.0)
            and isinstance(c.output, torch.Tensor)):
        return None
    z0_hat = c.output
    if close(z0_hat, reference.sample_ddim(gaussian(case), z_T.shape, case.schedule, steps, 0.0, x_T=z_T), dtype):
        return None
    decoded = ToyDecoder(case.shape[1])(z_std * z0_hat + z_mean)
    return "calls_wrong_ddim_sample" if close(output, decoded, dtype) else None


# ---- the assignment ---------------------------------------------------------------------------------------------

TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in [
    TaskSpec("kl_term", "kl_term(model, x0, x_t, t, betas) -> (B,) nats", ("model", "x0", "x_t", "t", "betas"), EQ5,
             1, 4, _kl_cases, _kl_inputs, _kl_truth, _kl_wrong_args, lambda c: (c.shape[0],), spy=batch_t_spy),
    TaskSpec("ddim_step", "ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise) -> x_prev",
             ("model", "x_t", "t", "t_prev", "alpha_bar", "eta", "noise"), EQ12, 1, 4,
             _step_cases, _step_inputs, _step_truth, _step_wrong_args, lambda c: c.shape, spy=batch_t_spy,
             nan_spy=_step_nan_spy, float32_fragile=_step_float32_fragile),
    TaskSpec("ddim_sample", "ddim_sample(model, x_T, alpha_bar, steps, eta, noises) -> x0",
             ("model", "x_T", "alpha_bar", "steps", "eta", "noises"), TRAILING, 1, 4,
             _loop_cases, _loop_inputs, _loop_truth, _loop_wrong_args, lambda c: c.shape, spy=_loop_spy,
             nan_spy=_loop_nan_spy, degenerate=_one_step_degenerate, with_t=False, upstream=("ddim_step",),
             blame=_loop_blame),
    TaskSpec("sample_latent", "sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std) -> images",
             ("model", "decoder", "z_T", "alpha_bar", "steps", "z_mean", "z_std"), LATENT, 1, 4,
             _latent_cases, _latent_inputs, _latent_truth, _latent_wrong_args, lambda c: (c.shape[0], 1, 8, 8),
             spy=_latent_spy, nan_spy=_loop_nan_spy, degenerate=_one_step_degenerate, with_t=False,
             upstream=("ddim_sample",), blame=_latent_blame),
]}
