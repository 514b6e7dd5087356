"""Known wrong formulas of the `ddpm_core` tasks (q_sample, posterior_mean, eps_loss, sample_loop).

Each wrong formula takes float64 inputs and a `reference.Schedule` `s`; it returns None where it does not
apply to a case (so that case neither confirms nor refutes it). Each is computed by the reference itself: its
q_sample or posterior mean on a schedule whose coefficient tables carry the misconception (`_misread`), its losses
and samplers with the wrong option, model or reduction.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from reference import (Schedule, diffuse, extract, p_mean_variance, q_posterior_mean_variance, sample_ddpm,
                       simple_loss, weighted_eps_loss)

from .base import Diagnosis, diagnosis as _d, on_pages

DIAGNOSES: dict[str, Diagnosis] = dict([
    _d("alpha_bar_wrap",
       "alpha_bar[t-1] at t = 0 is alpha_bar[-1], which Python wraps round to the last entry ᾱ_{T-1}.",
       "ᾱ_t is alpha_bar[t]; where ᾱ_{t-1} is meant, build alpha_bar_prev = [1, ᾱ_0, …, ᾱ_{T-2}] (1 at t = 0) "
       "and index it with t"),
    _d("t_off_by_one",
       "The timestep is shifted by one: code t is 0-indexed, so alpha_bar[t] is already the paper's ᾱ_{t+1}.",
       "index every schedule array with the code t you were given, unshifted"),
    _d("alpha_for_alpha_bar",
       "α_t stands where ᾱ_t belongs: ᾱ_t is the cumulative product α_0·α_1·…·α_t, not the one-step α_t = 1 − β_t.",
       "alpha_bar = torch.cumprod(1 - betas, 0)"),
    _d("beta_for_alpha_bar",
       "β_t stands where ᾱ_t belongs: β_t is one step's noise variance, ᾱ_t the signal kept after all steps so far.",
       "use ᾱ_t = Π_{s≤t} (1 − β_s) wherever the equation says ᾱ_t"),
    _d("missing_sqrt",
       "A square root is missing: √ᾱ_t and √(1 − ᾱ_t) scale x0 and ε because they are standard deviations, not variances.",
       "take the square root of every variance-like coefficient"),
    _d("swapped_q_coefficients",
       "The two coefficients of eq. 4 are swapped: √ᾱ_t scales the data x0 and √(1 − ᾱ_t) scales the noise ε.",
       "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"),
    _d("broadcast",
       "alpha_bar[t] has shape (B,), and against x0 of shape (B, *S) it lines up with the last axis instead of the batch.",
       "reshape the gathered coefficient to (B, 1, …, 1) before multiplying"),
    _d("swapped_posterior_coefficients",
       "The posterior coefficients are swapped: √ᾱ_{t-1}·β_t/(1 − ᾱ_t) multiplies x0 and √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t) multiplies x_t.",
       "μ̃_t = √ᾱ_{t-1}·β_t/(1 − ᾱ_t)·x0 + √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t)·x_t"),
    _d("sum_not_mean",
       "The loss sums where it should average: L_simple is the mean of (ε − ε_θ)² over the batch and every dimension.",
       "return ((noise - eps_pred) ** 2).mean()"),
    _d("x0_regression",
       "The model's output is compared with x0, but ε_θ(x_t, t) predicts the noise ε that made x_t.",
       "loss = mean of (ε − ε_θ(x_t, t))²"),
    _d("model_t_plus_1",
       "The model is called with t + 1, the paper's timestep, but the model takes code's 0-indexed t.",
       "call model(x_t, t) with the same t you use to index the schedule"),
    _d("reverse_order",
       "The loop runs forwards from t = 0, but Algorithm 2 starts from noise at t = T−1 and counts down to 0.",
       "for t in reversed(range(T))"),
    _d("stops_early",
       "The loop stops before t = 0, so the last, noise-free step of Algorithm 2 is missing.",
       "for t in reversed(range(T)) visits T−1, …, 1, 0"),
    _d("repeated_model_calls",
       "The model is called more than once per step; Algorithm 2 needs one ε_θ(x_t, t) per t.",
       "call the model once per step and reuse eps_pred"),
    _d("noise_at_last_step",
       "Noise is added at the last step too: at t = 0 Algorithm 2 returns the mean with z = 0.",
       "add σ_t·noises[t] only when t > 0"),
    _d("noise_index",
       "z is taken by loop count, not by timestep: the noise for timestep t is noises[t].",
       "z = noises[t]"),
    _d("sigma_tilde",
       "σ_t² = β̃_t (the posterior variance) was used, but this task fixes σ_t² = β_t.",
       "σ_t = √β_t"),
    _d("sigma_not_sqrt",
       "σ_t = β_t was used, but σ_t is a standard deviation: σ_t = √β_t.",
       "x_{t-1} = μ + √β_t·z"),
    _d("missing_inv_sqrt_alpha",
       "The factor 1/√α_t in front of the mean is missing.",
       "μ_θ = (x_t − β_t/√(1 − ᾱ_t)·ε_θ) / √α_t (eq. 11)"),
    _d("missing_sqrt_eps_coef",
       "The ε_θ coefficient lacks its square root: it is β_t/√(1 − ᾱ_t), not β_t/(1 − ᾱ_t).",
       "μ_θ = (x_t − β_t/√(1 − ᾱ_t)·ε_θ) / √α_t (eq. 11)"),
    _d("missing_sqrt_x0",
       "The square root is missing on the data's coefficient only: x0 (x̂0 in a DDIM step) is scaled by ᾱ where the "
       "equation scales it by √ᾱ, the signal's standard deviation-like factor.",
       "scale x0 by √ᾱ_t in eq. 4 and by √ᾱ_{t-1}·β_t/(1 − ᾱ_t) in eq. 7, and x̂0 by √ᾱ_prev in DDIM's eq. 12"),
    _d("missing_sqrt_noise",
       "The square root is missing on the noise's coefficient only: ε is scaled by the variance 1 − ᾱ_t, but a "
       "standard normal is scaled by the standard deviation √(1 − ᾱ_t).",
       "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"),
    _d("one_minus_sqrt",
       "The noise is scaled by 1 − √ᾱ_t, but the variances must add up to one, so its coefficient is √(1 − ᾱ_t).",
       "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"),
    _d("cumprod_twice",
       "alpha_bar is cumulated again: the argument already holds ᾱ_t = Π_{s≤t} α_s, and its cumulative product "
       "shrinks the signal far too fast.",
       "use alpha_bar[t] as given, with no torch.cumprod"),
    _d("unscaled_x0",
       "x0 is not scaled down: x_t = x0 + √(1 − ᾱ_t)·ε is a variance-exploding process, but DDPM's eq. 4 keeps the "
       "variance at one by scaling x0 by √ᾱ_t.",
       "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"),
    _d("unscaled_noise",
       "The noise is added unscaled: ε is a standard normal, and q(x_t | x_0) has variance 1 − ᾱ_t, so ε is scaled "
       "by √(1 − ᾱ_t).",
       "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε"),
    _d("reversed_t",
       "The timesteps are read from the wrong end: t = 0 is the least noisy step, ᾱ_0 close to 1, not the noisiest.",
       "index the schedule with t itself, alpha_bar[t], not alpha_bar[T − 1 − t] or a flipped schedule"),
    _d("alpha_bar_prev_zero",
       "ᾱ_{t-1} at t = 0 is taken as 0: the empty product ᾱ_{-1} is 1, as if no noise had been added yet.",
       "alpha_bar_prev = torch.cat([torch.ones(1), alpha_bar[:-1]])"),
    _d("alpha_bar_for_alpha",
       "√ᾱ_t stands where √α_t belongs in x_t's coefficient: one reverse step undoes one forward step, whose signal "
       "scale is √α_t = √(1 − β_t).",
       "x_t's coefficient is √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t), α_t = 1 − β_t"),
    _d("alpha_bar_for_alpha_bar_prev",
       "√ᾱ_t stands where √ᾱ_{t-1} belongs in x0's coefficient: the posterior is over x_{t-1}, whose signal scale "
       "is √ᾱ_{t-1}.",
       "x0's coefficient is √ᾱ_{t-1}·β_t/(1 − ᾱ_t), with ᾱ_{t-1} = 1 at t = 0"),
    _d("alpha_bar_prev_unshifted",
       "ᾱ_{t-1} is taken as ᾱ_t: the table of ᾱ_{t-1} is ᾱ shifted one step to the right, with 1 at t = 0.",
       "alpha_bar_prev = torch.cat([torch.ones(1), alpha_bar[:-1]])"),
    _d("extra_sqrt",
       "A square root too many: 1 − ᾱ_t and 1 − ᾱ_{t-1} are variances, and eq. 7 uses them as they are, without roots.",
       "μ̃_t = √ᾱ_{t-1}·β_t/(1 − ᾱ_t)·x0 + √α_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t)·x_t"),
    _d("calls_wrong_q_sample",
       "On every failing case the grader followed, eps_loss's own code is right given the x_t your q_sample returned "
       "it: the loss fails only because q_sample, which it calls, is wrong on those very inputs.",
       "fix q_sample first (its own check says how); this eps_loss then passes as it is"),
    _d("l1_loss",
       "The loss is the mean absolute error |ε − ε_θ|; L_simple is the mean squared error, the Gaussian bound's "
       "term up to its weight.",
       "return ((noise - eps_pred) ** 2).mean()"),
    _d("rmse",
       "The square root of the mean squared error is taken; L_simple is the mean squared error itself.",
       "return ((noise - eps_pred) ** 2).mean(), with no .sqrt()"),
    _d("loss_half",
       "The squared error is halved, as in a Gaussian log-likelihood; L_simple (eq. 14) has no factor ½.",
       "return ((noise - eps_pred) ** 2).mean()"),
    _d("vlb_weighting",
       "Each example's error is weighted by eq. 12's β_t²/(2σ_t²·α_t·(1 − ᾱ_t)), the true bound's weight; "
       "L_simple (eq. 14) drops it and weighs every example's squared error equally.",
       "weight every example equally: the plain mean of (ε − ε_θ)²"),
    _d("model_on_x0",
       "The model is called on x0; ε_θ predicts the noise in the noised x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, so it must "
       "see x_t.",
       "eps_pred = model(x_t, t) with x_t from eq. 4"),
    _d("clip_x0_pred",
       "x̂0 is clipped to [−1, 1] before the step, as image samplers do; here the data are not images in "
       "[−1, 1], and this task takes x̂0 (and the mean) as the model gives it.",
       "use μ_θ from eq. 11 (or x̂0 from eq. 15) without clamping"),
    _d("final_clip",
       "The sample is clipped to [−1, 1] at the end, as image pipelines do before saving; the task asks for the "
       "sampler's own output, which may leave [−1, 1].",
       "return x_0 as the last step gives it, with no clamp"),
])


DIAGNOSES = on_pages(DIAGNOSES, {
    "Schedule design": ["alpha_bar_wrap", "t_off_by_one", "alpha_for_alpha_bar", "beta_for_alpha_bar",
                        "cumprod_twice", "reversed_t", "alpha_bar_prev_zero", "alpha_bar_prev_unshifted"],
    "Forward process": ["calls_wrong_q_sample", "missing_sqrt", "swapped_q_coefficients", "missing_sqrt_x0",
                        "missing_sqrt_noise", "one_minus_sqrt", "unscaled_x0", "unscaled_noise"],
    "Posterior q(xₜ₋₁ | xₜ, x₀)": ["swapped_posterior_coefficients", "sigma_tilde", "alpha_bar_for_alpha",
                                  "alpha_bar_for_alpha_bar_prev", "extra_sqrt"],
    "ELBO inspection": ["sum_not_mean", "vlb_weighting"],
    "Training (Algorithm 1)": ["l1_loss", "rmse", "loss_half", "model_on_x0", "x0_regression"],
    "Sampling": ["model_t_plus_1", "reverse_order", "stops_early", "repeated_model_calls", "noise_at_last_step",
                 "noise_index", "sigma_not_sqrt", "missing_inv_sqrt_alpha", "missing_sqrt_eps_coef", "clip_x0_pred",
                 "final_clip"],
})


# ---- q_sample(x0, t, noise, alpha_bar) ---------------------------------------------------------------------------

def _misread(s: Schedule, **coefficients) -> Schedule:
    """`s` with some of its precomputed (T,) coefficients replaced by the misconception's, so the reference's own
    q_sample or q_posterior_mean_variance computes the wrong formula."""
    return dataclasses.replace(s, **coefficients)


def _q_misread(coefficients: Callable[[Schedule], dict], doc: str):
    """The reference's q_sample (eq. 4) with coefficients(s) -> {sqrt_alpha_bar, sqrt_one_minus_alpha_bar} put in."""
    def wrong(x0, t, noise, s: Schedule):
        s = _misread(s, **coefficients(s))
        return extract(s.sqrt_alpha_bar, t, x0) * x0 + extract(s.sqrt_one_minus_alpha_bar, t, x0) * noise
    wrong.__doc__ = doc
    return wrong


def _roots_of(alpha_bar: torch.Tensor) -> dict:
    return {"sqrt_alpha_bar": alpha_bar.sqrt(), "sqrt_one_minus_alpha_bar": (1 - alpha_bar).sqrt()}


_q_wrap = _q_misread(lambda s: _roots_of(s.alpha_bar.roll(1)),
                     "ᾱ read at t-1: alpha_bar[t-1], wrapping round at t = 0.")
_q_off_by_one = _q_misread(lambda s: _roots_of(s.alpha_bar_prev),
                           "ᾱ one step early, as if t were the paper's 1-indexed t: [1, ᾱ_0, …][t].")
_q_no_sqrt = _q_misread(lambda s: {"sqrt_alpha_bar": s.alpha_bar, "sqrt_one_minus_alpha_bar": 1 - s.alpha_bar},
                        "ᾱ_t·x0 + (1 − ᾱ_t)·ε.")
_q_no_sqrt_x0 = _q_misread(lambda s: {"sqrt_alpha_bar": s.alpha_bar}, "ᾱ_t·x0 + √(1 − ᾱ_t)·ε.")
_q_no_sqrt_noise = _q_misread(lambda s: {"sqrt_one_minus_alpha_bar": 1 - s.alpha_bar}, "√ᾱ_t·x0 + (1 − ᾱ_t)·ε.")
_q_one_minus_sqrt = _q_misread(lambda s: {"sqrt_one_minus_alpha_bar": 1 - s.sqrt_alpha_bar}, "√ᾱ_t·x0 + (1 − √ᾱ_t)·ε.")
_q_swapped = _q_misread(lambda s: {"sqrt_alpha_bar": s.sqrt_one_minus_alpha_bar,
                                   "sqrt_one_minus_alpha_bar": s.sqrt_alpha_bar}, "√(1 − ᾱ_t)·x0 + √ᾱ_t·ε.")
_q_cumprod_twice = _q_misread(lambda s: _roots_of(torch.cumprod(s.alpha_bar, 0)), "ᾱ replaced by cumprod(ᾱ).")
_q_unscaled_x0 = _q_misread(lambda s: {"sqrt_alpha_bar": torch.ones_like(s.alpha_bar)}, "x0 + √(1 − ᾱ_t)·ε.")
_q_unscaled_noise = _q_misread(lambda s: {"sqrt_one_minus_alpha_bar": torch.ones_like(s.alpha_bar)}, "√ᾱ_t·x0 + ε.")
_q_reversed_t = _q_misread(lambda s: _roots_of(s.alpha_bar.flip(0)), "ᾱ read at T − 1 − t.")


def _q_broadcast(x0, t, noise, s: Schedule):
    """The (B,) coefficient multiplied against the last axis of x0, possible only when that axis has length B."""
    if x0.dim() != 2 or x0.shape[1] != len(t):
        return None
    return s.sqrt_alpha_bar[t] * x0 + s.sqrt_one_minus_alpha_bar[t] * noise


# ---- posterior_mean(x0, x_t, t, betas) ------------------------------------------------------------------------------

def _pm_misread(coefficients: Callable[[Schedule], dict], doc: str):
    """The reference's posterior mean (eq. 7) with coefficients(s) -> {posterior_mean_coef1 (x0's),
    posterior_mean_coef2 (x_t's)} swapped in."""
    def wrong(x0, x_t, t, s: Schedule):
        return q_posterior_mean_variance(x0, x_t, t, _misread(s, **coefficients(s)))[0]
    wrong.__doc__ = doc
    return wrong


def _coefficients_of(alpha_bar: torch.Tensor, alpha_bar_prev: torch.Tensor, alphas: torch.Tensor,
                     betas: torch.Tensor) -> dict:
    """Eq. 7's coefficients built from (possibly wrong) ᾱ_t, ᾱ_{t-1}, α_t and β_t, as a student's code would."""
    return {"posterior_mean_coef1": alpha_bar_prev.sqrt() * betas / (1 - alpha_bar),
            "posterior_mean_coef2": alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)}


def _with_first(values: torch.Tensor, first: float) -> torch.Tensor:
    """[first, values[0], …, values[T-2]]: a ᾱ_{t-1} table built by shifting, with `first` at t = 0."""
    return torch.cat([torch.full((1,), first, dtype=values.dtype), values[:-1]])


_pm_wrap = _pm_misread(lambda s: _coefficients_of(s.alpha_bar, s.alpha_bar.roll(1), s.alphas, s.betas),
                       "ᾱ_{t-1} read as alpha_bar[t-1]: at t = 0 that is ᾱ_{T-1} instead of 1.")
_pm_off_by_one = _pm_misread(lambda s: {"posterior_mean_coef1": s.posterior_mean_coef1.roll(1),
                                        "posterior_mean_coef2": s.posterior_mean_coef2.roll(1)},
                             "Every coefficient read at t-1 (wrapping at t = 0), as if t were 1-indexed.")
_pm_swapped = _pm_misread(lambda s: {"posterior_mean_coef1": s.posterior_mean_coef2,
                                     "posterior_mean_coef2": s.posterior_mean_coef1}, "The two coefficients swapped.")
_pm_no_sqrt = _pm_misread(lambda s: {"posterior_mean_coef1": s.posterior_mean_coef1 * s.alpha_bar_prev.sqrt(),
                                     "posterior_mean_coef2": s.posterior_mean_coef2 * s.alphas.sqrt()},
                          "ᾱ_{t-1} and α_t without their square roots.")
_pm_no_sqrt_x0 = _pm_misread(lambda s: {"posterior_mean_coef1": s.posterior_mean_coef1 * s.alpha_bar_prev.sqrt()},
                             "ᾱ_{t-1} without its square root in x0's coefficient.")
_pm_alpha_for_alpha_bar = _pm_misread(lambda s: _coefficients_of(s.alphas, _with_first(s.alphas, 1.0), s.alphas,
                                                                 s.betas),
                                      "ᾱ taken as α = 1 − β (no cumulative product), ᾱ_{t-1} as α_{t-1}, 1 at t = 0.")
_pm_beta_for_alpha_bar = _pm_misread(lambda s: _coefficients_of(torch.cumprod(s.betas, 0),
                                                                _with_first(torch.cumprod(s.betas, 0), 1.0), s.alphas,
                                                                s.betas),
                                     "ᾱ built as the cumulative product of β instead of α = 1 − β.")
_pm_prev_zero = _pm_misread(lambda s: _coefficients_of(s.alpha_bar, _with_first(s.alpha_bar, 0.0), s.alphas, s.betas),
                            "ᾱ_{t-1} padded with 0 at t = 0.")
_pm_alpha_bar_for_alpha = _pm_misread(lambda s: _coefficients_of(s.alpha_bar, s.alpha_bar_prev, s.alpha_bar, s.betas),
                                      "√ᾱ_t in x_t's coefficient where √α_t belongs.")
_pm_prev_unshifted = _pm_misread(lambda s: _coefficients_of(s.alpha_bar, s.alpha_bar, s.alphas, s.betas),
                                 "ᾱ_{t-1} taken as ᾱ_t itself, the table never shifted.")
_pm_root_denominator = _pm_misread(
    lambda s: _coefficients_of(1 - s.sqrt_one_minus_alpha_bar, s.alpha_bar_prev, s.alphas, s.betas),
    "√(1 − ᾱ_t) in the denominators.")
_pm_root_prev_variance = _pm_misread(
    lambda s: {"posterior_mean_coef2": s.posterior_mean_coef2 / (1 - s.alpha_bar_prev) * (1 - s.alpha_bar_prev).sqrt()},
    "√(1 − ᾱ_{t-1}) in x_t's coefficient.")
_pm_alpha_bar_for_prev = _pm_misread(
    lambda s: {"posterior_mean_coef1": s.posterior_mean_coef1 / s.alpha_bar_prev.sqrt() * s.sqrt_alpha_bar},
    "√ᾱ_t in x0's coefficient where √ᾱ_{t-1} belongs.")


# ---- eps_loss(model, x0, t, noise, alpha_bar) ------------------------------------------------------------------------

def _squared_errors(model, x0, t, noise, s: Schedule) -> torch.Tensor:
    """(ε − ε_θ(x_t, t))² elementwise, x_t from the reference's eq. 4."""
    return (noise - model(diffuse(x0, t, noise, s.alpha_bar), t)) ** 2


def _eps_sum_dims(model, x0, t, noise, s: Schedule):
    """Summed over dimensions, averaged over the batch."""
    return _squared_errors(model, x0, t, noise, s).flatten(1).sum(1).mean()


def _eps_sum_all(model, x0, t, noise, s: Schedule):
    """Summed over the batch and every dimension."""
    return _squared_errors(model, x0, t, noise, s).sum()


def _eps_sum_batch(model, x0, t, noise, s: Schedule):
    """Averaged over dimensions, summed over the batch."""
    return simple_loss(model, x0, t, s, noise).sum()


def _eps_x0_target(model, x0, t, noise, s: Schedule):
    return simple_loss(model, x0, t, s, noise, prediction="x0").mean()


def _eps_t_plus_1(model, x0, t, noise, s: Schedule):
    return simple_loss(lambda x, t_: model(x, t_ + 1), x0, t, s, noise).mean()


def _eps_l1(model, x0, t, noise, s: Schedule):
    return _squared_errors(model, x0, t, noise, s).sqrt().mean()


def _eps_rmse(model, x0, t, noise, s: Schedule):
    return simple_loss(model, x0, t, s, noise).mean().sqrt()


def _eps_half(model, x0, t, noise, s: Schedule):
    return 0.5 * simple_loss(model, x0, t, s, noise).mean()


def _eps_vlb_weighted(per_dim: bool):
    """The reference's eq. 12-weighted loss (σ² = β_t at every t, as a student's β_t²/(2β_t·α_t·(1 − ᾱ_t)) has it),
    averaged over the batch, the squared error summed over dimensions or (per_dim) averaged over them."""
    def wrong(model, x0, t, noise, s: Schedule):
        weighted = weighted_eps_loss(model, x0, t, _misread(s, log_betas_clipped=s.betas.log()), noise,
                                     weighting="vlb")
        return weighted.mean() / (x0[0].numel() if per_dim else 1)
    return wrong


def _eps_model_on_x0(model, x0, t, noise, s: Schedule):
    return ((noise - model(x0, t)) ** 2).mean()


def _eps_noised_with(q_wrong):
    def wrong(model, x0, t, noise, s: Schedule):
        x_t = q_wrong(x0, t, noise, s)
        return None if x_t is None else ((noise - model(x_t, t)) ** 2).mean()
    wrong.__doc__ = f"x_t made by the wrong q_sample: {q_wrong.__doc__}"
    return wrong


# ---- sample_loop(model, x_T, betas, noises) ------------------------------------------------------------------------

def _sample_with(model, x_T, s: Schedule, noises, mean_of=None, sigma: torch.Tensor | None = None,
                 noise_at_0: bool = False):
    """Algorithm 2 driven by the reference's p_θ, with a wrong `mean_of(p, t, x_t)` or σ swapped in."""
    sigma = s.betas.sqrt() if sigma is None else sigma
    x_t = x_T
    with torch.no_grad():
        for t in reversed(range(s.T)):
            p = p_mean_variance(model, x_t, t, s)
            mean = p.mean if mean_of is None else mean_of(p, t, x_t)
            x_t = mean + float(sigma[t]) * noises[t] if (t > 0 or noise_at_0) else mean
    return x_t


def _sample_noise_at_0(model, x_T, s, noises):
    return _sample_with(model, x_T, s, noises, noise_at_0=True)


def _sample_sigma_tilde(model, x_T, s, noises):
    return sample_ddpm(model, x_T.shape, s, x_T=x_T, noises=noises, variance="fixed_small")


def _sample_sigma_beta(model, x_T, s, noises):
    return _sample_with(model, x_T, s, noises, sigma=s.betas)


def _sample_noise_index(model, x_T, s, noises):
    return sample_ddpm(model, x_T.shape, s, x_T=x_T, noises=noises.flip(0))


def _sample_no_inv_sqrt_alpha(model, x_T, s, noises):
    return _sample_with(model, x_T, s, noises, mean_of=lambda p, t, x_t: float(s.alphas[t]) ** 0.5 * p.mean)


def _eps_coef_replaced(new_coef: Callable[[Schedule, int], float]):
    """μ with the ε_θ coefficient β_t/√(1 − ᾱ_t) of eq. 11 replaced by new_coef(s, t)."""
    def mean_of(s):
        def wrong_mean(p, t, x_t):
            right = float(s.betas[t] / s.sqrt_one_minus_alpha_bar[t])
            return p.mean + (right - new_coef(s, t)) * p.eps_pred / float(s.alphas[t]) ** 0.5
        return wrong_mean
    return lambda model, x_T, s, noises: _sample_with(model, x_T, s, noises, mean_of=mean_of(s))


_sample_no_sqrt = _eps_coef_replaced(lambda s, t: float(s.betas[t] / (1 - s.alpha_bar[t])))
_sample_alpha_for_alpha_bar = _eps_coef_replaced(lambda s, t: float(s.betas[t] / (1 - s.alphas[t]).sqrt()))
_sample_beta_for_alpha_bar = _eps_coef_replaced(lambda s, t: float(s.betas[t] / (1 - s.betas[t]).sqrt()))


def _sample_t_plus_1(model, x_T, s, noises):
    return sample_ddpm(lambda x, t: model(x, t + 1), x_T.shape, s, x_T=x_T, noises=noises)


def _sample_clip_x0(model, x_T, s, noises):
    return sample_ddpm(model, x_T.shape, s, x_T=x_T, noises=noises, clip_x0=1.0)


def _sample_final_clip(model, x_T, s, noises):
    return sample_ddpm(model, x_T.shape, s, x_T=x_T, noises=noises).clamp(-1, 1)


# ---- the table the checks read ----------------------------------------------------------------------------------

WRONG: dict[str, dict[str, list[Callable]]] = {
    "q_sample": {
        "alpha_bar_wrap": [_q_wrap],
        "t_off_by_one": [_q_off_by_one],
        "missing_sqrt": [_q_no_sqrt],
        "missing_sqrt_x0": [_q_no_sqrt_x0],
        "missing_sqrt_noise": [_q_no_sqrt_noise],
        "one_minus_sqrt": [_q_one_minus_sqrt],
        "swapped_q_coefficients": [_q_swapped],
        "cumprod_twice": [_q_cumprod_twice],
        "unscaled_x0": [_q_unscaled_x0],
        "unscaled_noise": [_q_unscaled_noise],
        "reversed_t": [_q_reversed_t],
        "broadcast": [_q_broadcast],
    },
    "posterior_mean": {
        "alpha_bar_wrap": [_pm_wrap],
        "t_off_by_one": [_pm_off_by_one],
        "swapped_posterior_coefficients": [_pm_swapped],
        "missing_sqrt": [_pm_no_sqrt],
        "missing_sqrt_x0": [_pm_no_sqrt_x0],
        "alpha_for_alpha_bar": [_pm_alpha_for_alpha_bar],
        "beta_for_alpha_bar": [_pm_beta_for_alpha_bar],
        "alpha_bar_prev_zero": [_pm_prev_zero],
        "alpha_bar_for_alpha": [_pm_alpha_bar_for_alpha],
        "alpha_bar_for_alpha_bar_prev": [_pm_alpha_bar_for_prev],
        "alpha_bar_prev_unshifted": [_pm_prev_unshifted],
        "extra_sqrt": [_pm_root_denominator, _pm_root_prev_variance],
    },
    "eps_loss": {
        "sum_not_mean": [_eps_sum_dims, _eps_sum_all, _eps_sum_batch],
        "x0_regression": [_eps_x0_target],
        "model_t_plus_1": [_eps_t_plus_1],
        "l1_loss": [_eps_l1],
        "rmse": [_eps_rmse],
        "loss_half": [_eps_half],
        "vlb_weighting": [_eps_vlb_weighted(per_dim=True), _eps_vlb_weighted(per_dim=False)],
        "model_on_x0": [_eps_model_on_x0],
        "missing_sqrt": [_eps_noised_with(_q_no_sqrt)],
        "missing_sqrt_x0": [_eps_noised_with(_q_no_sqrt_x0)],
        "alpha_bar_wrap": [_eps_noised_with(_q_wrap)],
        "swapped_q_coefficients": [_eps_noised_with(_q_swapped)],
    },
    "sample_loop": {
        "noise_at_last_step": [_sample_noise_at_0],
        "sigma_tilde": [_sample_sigma_tilde],
        "sigma_not_sqrt": [_sample_sigma_beta],
        "noise_index": [_sample_noise_index],
        "missing_inv_sqrt_alpha": [_sample_no_inv_sqrt_alpha],
        "missing_sqrt_eps_coef": [_sample_no_sqrt],
        "alpha_for_alpha_bar": [_sample_alpha_for_alpha_bar],
        "beta_for_alpha_bar": [_sample_beta_for_alpha_bar],
        "model_t_plus_1": [_sample_t_plus_1],
        "clip_x0_pred": [_sample_clip_x0],
        "final_clip": [_sample_final_clip],
    },
}
