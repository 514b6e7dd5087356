"""Known wrong formulas of the `ddpm_core` tasks (q_sample, posterior_mean, eps_loss, sample_loop).

Each wrong formula takes float64 inputs and a `reference.Schedule` `s`; it returns None where it does not
apply to a case (so that case neither confirms nor refutes it).
"""
from __future__ import annotations

from typing import Callable

import torch

from reference import Schedule, extract, p_mean_variance, sample_ddpm

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
])


DIAGNOSES = on_pages(DIAGNOSES, {
    "Schedule design": ["alpha_bar_wrap", "t_off_by_one", "alpha_for_alpha_bar", "beta_for_alpha_bar"],
    "Forward process": ["missing_sqrt", "swapped_q_coefficients"],
    "Posterior q(xₜ₋₁ | xₜ, x₀)": ["swapped_posterior_coefficients", "sigma_tilde"],
    "ELBO inspection": ["sum_not_mean"],
    "Sampling": ["model_t_plus_1", "reverse_order", "stops_early", "repeated_model_calls", "noise_at_last_step",
                 "noise_index", "sigma_not_sqrt", "missing_inv_sqrt_alpha", "missing_sqrt_eps_coef"],
})


# ---- q_sample(x0, t, noise, alpha_bar) ---------------------------------------------------------------------------

def _q_with(sqrt_ab: torch.Tensor, sqrt_one_minus_ab: torch.Tensor, x0, t, noise):
    return extract(sqrt_ab, t, x0) * x0 + extract(sqrt_one_minus_ab, t, x0) * noise


def _q_wrap(x0, t, noise, s: Schedule):
    """ᾱ read at t-1: alpha_bar[t-1], wrapping round at t = 0."""
    ab = s.alpha_bar.roll(1)  # ab[t] = alpha_bar[t-1]
    return _q_with(ab.sqrt(), (1 - ab).sqrt(), x0, t, noise)


def _q_off_by_one(x0, t, noise, s: Schedule):
    """ᾱ one step early, as if t were the paper's 1-indexed t: [1, ᾱ_0, …][t]."""
    return _q_with(s.alpha_bar_prev.sqrt(), (1 - s.alpha_bar_prev).sqrt(), x0, t, noise)


def _q_no_sqrt(x0, t, noise, s: Schedule):
    """ᾱ_t·x0 + (1 − ᾱ_t)·ε."""
    return _q_with(s.alpha_bar, 1 - s.alpha_bar, x0, t, noise)


def _q_swapped(x0, t, noise, s: Schedule):
    """√(1 − ᾱ_t)·x0 + √ᾱ_t·ε."""
    return _q_with(s.sqrt_one_minus_alpha_bar, s.sqrt_alpha_bar, x0, t, noise)


def _q_broadcast(x0, t, noise, s: Schedule):
    """The (B,) coefficient multiplied against the last axis of x0, possible only when that axis has length B."""
    if x0.dim() != 2 or x0.shape[1] != len(t):
        return None
    return s.sqrt_alpha_bar[t] * x0 + s.sqrt_one_minus_alpha_bar[t] * noise


# ---- posterior_mean(x0, x_t, t, betas) ------------------------------------------------------------------------------

def _posterior_with(coef1: torch.Tensor, coef2: torch.Tensor, x0, x_t, t):
    return extract(coef1, t, x_t) * x0 + extract(coef2, t, x_t) * x_t


def _pm_wrap(x0, x_t, t, s: Schedule):
    """ᾱ_{t-1} read as alpha_bar[t-1]: at t = 0 that is ᾱ_{T-1} instead of 1."""
    ab_prev = s.alpha_bar.roll(1)  # ab_prev[t] = alpha_bar[t-1]
    coef1 = ab_prev.sqrt() * s.betas / (1 - s.alpha_bar)
    coef2 = s.alphas.sqrt() * (1 - ab_prev) / (1 - s.alpha_bar)
    return _posterior_with(coef1, coef2, x0, x_t, t)


def _pm_off_by_one(x0, x_t, t, s: Schedule):
    """Every coefficient read at t-1 (wrapping at t = 0), as if t were 1-indexed."""
    return _posterior_with(s.posterior_mean_coef1.roll(1), s.posterior_mean_coef2.roll(1), x0, x_t, t)


def _pm_swapped(x0, x_t, t, s: Schedule):
    return _posterior_with(s.posterior_mean_coef2, s.posterior_mean_coef1, x0, x_t, t)


def _pm_no_sqrt(x0, x_t, t, s: Schedule):
    """ᾱ_{t-1} and α_t without their square roots."""
    return _posterior_with(s.posterior_mean_coef1 * s.alpha_bar_prev.sqrt(), s.posterior_mean_coef2 * s.alphas.sqrt(),
                           x0, x_t, t)


def _pm_alpha_for_alpha_bar(x0, x_t, t, s: Schedule):
    """ᾱ taken as α = 1 − β (no cumulative product), ᾱ_{t-1} as α_{t-1} with a 1 at t = 0."""
    a, a_prev = s.alphas, torch.cat([torch.ones(1, dtype=s.alphas.dtype), s.alphas[:-1]])
    return _posterior_with(a_prev.sqrt() * s.betas / (1 - a), a.sqrt() * (1 - a_prev) / (1 - a), x0, x_t, t)


def _pm_beta_for_alpha_bar(x0, x_t, t, s: Schedule):
    """ᾱ built as the cumulative product of β instead of α = 1 − β."""
    ab = torch.cumprod(s.betas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    return _posterior_with(ab_prev.sqrt() * s.betas / (1 - ab), s.alphas.sqrt() * (1 - ab_prev) / (1 - ab), x0, x_t, t)


# ---- eps_loss(model, x0, t, noise, alpha_bar) ------------------------------------------------------------------------

def _loss_of(model, x_t, t, target) -> torch.Tensor:
    return ((target - model(x_t, t)) ** 2).mean()


def _eps_sum_dims(model, x0, t, noise, s: Schedule):
    """Summed over dimensions, averaged over the batch."""
    x_t = _q_with(s.sqrt_alpha_bar, s.sqrt_one_minus_alpha_bar, x0, t, noise)
    return ((noise - model(x_t, t)) ** 2).flatten(1).sum(1).mean()


def _eps_sum_all(model, x0, t, noise, s: Schedule):
    """Summed over the batch and every dimension."""
    x_t = _q_with(s.sqrt_alpha_bar, s.sqrt_one_minus_alpha_bar, x0, t, noise)
    return ((noise - model(x_t, t)) ** 2).sum()


def _eps_x0_target(model, x0, t, noise, s: Schedule):
    x_t = _q_with(s.sqrt_alpha_bar, s.sqrt_one_minus_alpha_bar, x0, t, noise)
    return _loss_of(model, x_t, t, x0)


def _eps_t_plus_1(model, x0, t, noise, s: Schedule):
    x_t = _q_with(s.sqrt_alpha_bar, s.sqrt_one_minus_alpha_bar, x0, t, noise)
    return _loss_of(model, x_t, t + 1, noise)


def _eps_noised_with(q_wrong):
    def wrong(model, x0, t, noise, s: Schedule):
        x_t = q_wrong(x0, t, noise, s)
        return None if x_t is None else _loss_of(model, x_t, t, noise)
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


# ---- the table the checks read ----------------------------------------------------------------------------------

WRONG: dict[str, dict[str, list[Callable]]] = {
    "q_sample": {
        "alpha_bar_wrap": [_q_wrap],
        "t_off_by_one": [_q_off_by_one],
        "missing_sqrt": [_q_no_sqrt],
        "swapped_q_coefficients": [_q_swapped],
        "broadcast": [_q_broadcast],
    },
    "posterior_mean": {
        "alpha_bar_wrap": [_pm_wrap],
        "t_off_by_one": [_pm_off_by_one],
        "swapped_posterior_coefficients": [_pm_swapped],
        "missing_sqrt": [_pm_no_sqrt],
        "alpha_for_alpha_bar": [_pm_alpha_for_alpha_bar],
        "beta_for_alpha_bar": [_pm_beta_for_alpha_bar],
    },
    "eps_loss": {
        "sum_not_mean": [_eps_sum_dims, _eps_sum_all],
        "x0_regression": [_eps_x0_target],
        "model_t_plus_1": [_eps_t_plus_1],
        "missing_sqrt": [_eps_noised_with(_q_no_sqrt)],
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
    },
}
