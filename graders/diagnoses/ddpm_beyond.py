"""Known wrong formulas of the `ddpm_beyond` tasks (kl_term, ddim_step, ddim_sample, sample_latent).

Each takes the float64 inputs of graders/tasks/ddpm_beyond.py's `wrong_args` and a `reference.Schedule` `s`.
DDIM is written out here with a switch per mistake, since the reference only holds the right step.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from reference import Schedule, ddim_timesteps, normal_kl, p_mean_variance, q_posterior_mean_variance, sample_ddim

from .base import Diagnosis, diagnosis as _d, on_pages

DIAGNOSES: dict[str, Diagnosis] = dict([
    _d("kl_reversed",
       "The KL runs the wrong way: the bound's term is KL(q ‖ p_θ), the true posterior first, and KL is not symmetric.",
       "KL(q ‖ p) = ½·(log(σ_p²/σ_q²) + σ_q²/σ_p² + (μ_q − μ_p)²/σ_p² − 1) with q the posterior (μ̃_t, β̃_t)"),
    _d("kl_mean_term_only",
       "Only the mean term ½·(μ̃_t − μ_θ)²/σ_t² is there; with σ_t² = β_t ≠ β̃_t the variances differ and add "
       "½·(log(β_t/β̃_t) + β̃_t/β_t − 1) per dimension.",
       "add the variance terms of the Gaussian KL"),
    _d("kl_mean_over_dims",
       "The KL is averaged over dimensions; a KL between distributions over all of x is the sum over its dimensions.",
       "sum the per-dimension KL over every dimension of an example (flatten(1).sum(1))"),
    _d("kl_sigma_tilde",
       "p_θ's variance is taken as β̃_t, but this task fixes σ_t² = β_t (Ho et al.'s σ_t² = β_t).",
       "σ_t² = β_t"),
    _d("kl_std_for_var",
       "Standard deviations stand where variances belong: the KL's log-ratio and ratio use σ², β̃, not σ, √β̃.",
       "use the variances β_t and β̃_t themselves"),
    _d("kl_bits",
       "The KL is in bits; this task asks for nats (natural logarithms, no division by log 2).",
       "drop the division by log(2)"),
    _d("kl_no_half",
       "The factor ½ of the Gaussian KL is missing.",
       "KL = ½·(log(σ_p²/σ_q²) + σ_q²/σ_p² + (μ_q − μ_p)²/σ_p² − 1)"),
    _d("t_prev_wrap",
       "alpha_bar[t_prev] at t_prev = −1 is alpha_bar[-1], which Python wraps round to ᾱ_{T-1}; the last step goes "
       "to the data, where ᾱ_prev = 1.",
       "alpha_bar_prev = 1 where t_prev = −1 (e.g. torch.cat([ones(1), alpha_bar])[t_prev + 1])"),
    _d("ddim_direction_without_sigma",
       "The direction term uses √(1 − ᾱ_prev); with η > 0 part of that variance goes to the fresh noise σ·z, so "
       "the direction keeps √(1 − ᾱ_prev − σ²).",
       "x_prev = √ᾱ_prev·x̂0 + √(1 − ᾱ_prev − σ²)·ε_θ + σ·z"),
    _d("ddim_no_noise",
       "The fresh noise σ·z is missing: with η > 0 DDIM adds noise at every step, as DDPM does at η = 1.",
       "add σ·noise"),
    _d("ddim_sigma_not_sqrt",
       "σ is a standard deviation: η·√((1 − ᾱ_prev)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev), with its square roots.",
       "σ = η·√((1 − ᾱ_prev)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_prev)) (Song et al. eq. 16)"),
    _d("ddim_noise_index",
       "z is taken by loop count; noises[j] belongs to the step from the j-th timestep of the ascending "
       "sub-sequence, so the first step taken (from the top) uses noises[steps − 1].",
       "z = noises[i] on the step from timesteps[i], timesteps ascending"),
    _d("leading_spacing",
       "The timesteps are the \"leading\" 0, k, 2k, … (k = T // steps), which never reach t = T − 1: DDIM then starts "
       "from x_T as if it were a less noisy x_t.",
       "τ_j = round(j·T/steps) − 1 for j = 1 … steps (trailing: the first step is at t = T − 1)"),
    _d("linspace_spacing",
       "The timesteps are spaced evenly from 0 to T − 1 (\"linspace\"); this task uses the trailing spacing.",
       "τ_j = round(j·T/steps) − 1 for j = 1 … steps"),
    _d("trailing_without_minus_one",
       "The timesteps are round(j·T/steps) without the − 1, so the first lands on T, one past the last index: "
       "code's t is 0-indexed.",
       "τ_j = round(j·T/steps) − 1"),
    _d("ddim_ascending",
       "The loop runs from the smallest timestep upwards; sampling starts from noise at the largest and counts down.",
       "visit the timesteps from the largest to the smallest"),
    _d("latent_not_unstandardised",
       "The sample is decoded in standardised units; the diffusion model was fitted to (z − z_mean)/z_std, so its "
       "samples must be mapped back, z = z_std·ẑ + z_mean, before the decoder sees them.",
       "decoder(z_std * z0_hat + z_mean)"),
    _d("latent_standardised_again",
       "The sample is standardised a second time, (ẑ − z_mean)/z_std; it is already in standardised units and must "
       "be mapped back the other way.",
       "decoder(z_std * z0_hat + z_mean)"),
    _d("latent_mean_std_swapped",
       "z_mean and z_std are swapped: the standard deviation scales the sample and the mean shifts it.",
       "decoder(z_std * z0_hat + z_mean)"),
])


DIAGNOSES = on_pages(DIAGNOSES, {
    "ELBO inspection": ["kl_reversed", "kl_mean_term_only", "kl_mean_over_dims", "kl_std_for_var", "kl_bits",
                        "kl_no_half"],
    "Posterior q(xₜ₋₁ | xₜ, x₀)": ["kl_sigma_tilde"],
    "Sampling": ["t_prev_wrap", "ddim_direction_without_sigma", "ddim_no_noise", "ddim_sigma_not_sqrt",
                 "ddim_noise_index", "leading_spacing", "linspace_spacing", "trailing_without_minus_one",
                 "ddim_ascending"],
    "Latent diffusion": ["latent_not_unstandardised", "latent_standardised_again", "latent_mean_std_swapped"],
})


# ---- kl_term(model, x0, x_t, t, s) ---------------------------------------------------------------------------------

def _kl_parts(model, x0, x_t, t, s: Schedule):
    """(μ̃, log β̃, μ_θ, log β) of the task: the posterior and p_θ with σ² = β."""
    mean_q, _, log_var_q = q_posterior_mean_variance(x0, x_t, t, s)
    p = p_mean_variance(model, x_t, t, s)
    return mean_q, log_var_q, p.mean, p.log_variance


def _kl_with(kl_of: Callable, reduce: str = "sum"):
    def wrong(model, x0, x_t, t, s: Schedule):
        per_dim = kl_of(*_kl_parts(model, x0, x_t, t, s)).flatten(1)
        return per_dim.sum(1) if reduce == "sum" else per_dim.mean(1)
    return wrong


def _kl_sigma_tilde(model, x0, x_t, t, s: Schedule):
    mean_q, log_var_q, mean_p, _ = _kl_parts(model, x0, x_t, t, s)
    return normal_kl(mean_q, log_var_q, mean_p, log_var_q).flatten(1).sum(1)


# ---- ddim_step(model, x_t, t, t_prev, s, eta, noise) ----------------------------------------------------------------

def _ddim_with(model, x_t, t, t_prev, s: Schedule, eta: float, noise, *, direction_sigma: bool = True, with_noise: bool = True, sigma_sqrt: bool = True,
               x0_sqrt: bool = True):
    """One DDIM step for (B,) t and t_prev, each switch set False planting one mistake. (alpha_bar[t_prev] wrapping
    round at t_prev = −1 gives NaN, so graders/tasks/ddpm_beyond.py's nan_spy names that one.)"""
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = s.alpha_bar[t].reshape(shape)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), s.alpha_bar])[t_prev + 1].reshape(shape)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt() if x0_sqrt else (x_t - (1 - ab) * eps_pred) / ab
    var = (1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)
    sigma = eta * (var.sqrt() if sigma_sqrt else var)
    direction = (1 - ab_prev - (sigma**2 if direction_sigma else 0)).clamp(min=0).sqrt()
    x_prev = ab_prev.sqrt() * x0_pred + direction * eps_pred
    return x_prev + sigma * noise if with_noise and noise is not None else x_prev


def _step_variant(**mistake):
    return lambda model, x_t, t, t_prev, s, eta, noise: _ddim_with(model, x_t, t, t_prev, s, eta, noise, **mistake)


# ---- ddim_sample(model, x_T, s, steps, eta, noises) ------------------------------------------------------------------

def _loop_variant(noise_flipped: bool = False, **mistake):
    """DDIM over the trailing timesteps with one planted mistake per step (or the noises taken in reverse)."""
    def wrong(model, x_T, s: Schedule, steps: int, eta: float, noises):
        timesteps = ddim_timesteps(s.T, steps)
        zs = noises.flip(0) if noise_flipped and noises is not None else noises
        x_t = x_T
        with torch.no_grad():
            for i in reversed(range(len(timesteps))):
                t = torch.full((x_t.shape[0],), timesteps[i], dtype=torch.long)
                t_prev = torch.full_like(t, timesteps[i - 1] if i > 0 else -1)
                x_t = _ddim_with(model, x_t, t, t_prev, s, eta, None if zs is None else zs[i], **mistake)
        return x_t
    return wrong


# ---- sample_latent(model, decoder, z_T, s, steps, z_mean, z_std) -----------------------------------------------------

def _latent_variant(unstandardise: Callable):
    def wrong(model, decoder, z_T, s: Schedule, steps: int, z_mean, z_std):
        z0_hat = sample_ddim(model, z_T.shape, s, steps, 0.0, x_T=z_T)
        return decoder(unstandardise(z0_hat, z_mean, z_std))
    return wrong


# ---- the table the checks read ----------------------------------------------------------------------------------

WRONG: dict[str, dict[str, list[Callable]]] = {
    "kl_term": {
        "kl_reversed": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mp, lp, mq, lq))],
        "kl_mean_term_only": [_kl_with(lambda mq, lq, mp, lp: 0.5 * (mq - mp) ** 2 * torch.exp(-lp))],
        "kl_mean_over_dims": [_kl_with(normal_kl, reduce="mean")],
        "kl_sigma_tilde": [_kl_sigma_tilde],
        "kl_std_for_var": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mq, lq / 2, mp, lp / 2))],
        "kl_bits": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mq, lq, mp, lp) / math.log(2))],
        "kl_no_half": [_kl_with(lambda mq, lq, mp, lp: 2 * normal_kl(mq, lq, mp, lp))],
    },
    "ddim_step": {
        "ddim_direction_without_sigma": [_step_variant(direction_sigma=False)],
        "ddim_no_noise": [_step_variant(with_noise=False)],
        "ddim_sigma_not_sqrt": [_step_variant(sigma_sqrt=False)],
        "missing_sqrt": [_step_variant(x0_sqrt=False)],
    },
    "ddim_sample": {
        "ddim_noise_index": [_loop_variant(noise_flipped=True)],
        "ddim_direction_without_sigma": [_loop_variant(direction_sigma=False)],
        "ddim_no_noise": [_loop_variant(with_noise=False)],
        "missing_sqrt": [_loop_variant(x0_sqrt=False)],
    },
    "sample_latent": {
        "latent_not_unstandardised": [_latent_variant(lambda z, mean, std: z)],
        "latent_standardised_again": [_latent_variant(lambda z, mean, std: (z - mean) / std)],
        "latent_mean_std_swapped": [_latent_variant(lambda z, mean, std: mean * z + std)],
    },
}
