"""Known wrong formulas of the `ddpm_beyond` tasks (kl_term, ddim_step, ddim_sample, sample_latent).

Each takes the float64 inputs of graders/engine/tasks/ddpm_beyond.py's `wrong_args` and a `reference.Schedule` `s`.
Mistakes of where a step goes, of clipping and of spacing are the reference's own DDIM run on the wrong timesteps
or options; mistakes inside eq. 12 are the step assembled from the reference's pieces (extract, x̂0 from eq. 15)
with a switch per mistake, since the reference only holds the right step.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from reference import (Schedule, ddim_reverse_step, ddim_timesteps, extract, normal_kl, p_mean_variance, predict_x0_from_eps,
                       q_posterior_mean_variance, sample_ddim, vlb_term)

from .base import Diagnosis, diagnosis as _d, on_pages

DIAGNOSES: dict[str, Diagnosis] = dict([
    _d("kl_reversed",
       "The KL runs the wrong way: the bound's term is KL(q ‖ p_θ), the true posterior first, and KL is not symmetric.",
       "KL(q ‖ p) = ½·(log(σ_p²/σ_q²) + σ_q²/σ_p² + (μ_q − μ_p)²/σ_p² − 1) with q the posterior (μ̃_t, β̃_t)"),
    _d("kl_q_variance_beta",
       "q's variance is taken as β_t, the same as p_θ's, so the variance terms cancel and leave the mean term "
       "½·(μ̃_t − μ_θ)²/β_t alone (as leaving them out would), but q(x_{t-1} | x_t, x_0) has variance "
       "β̃_t = β_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t) ≠ β_t, which adds ½·(log(β_t/β̃_t) + β̃_t/β_t − 1) per dimension.",
       "var_q = β̃_t = β_t·(1 − ᾱ_{t-1})/(1 − ᾱ_t) and var_p = β_t, with all four terms of the Gaussian KL"),
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
    _d("kl_bits_per_dim",
       "The KL is in bits per dimension, as papers report the bound; this task asks for nats per example (natural "
       "logarithms, summed over dimensions).",
       "sum over dimensions and drop the division by D·log(2)"),
    _d("ddim_t_minus_1",
       "The step goes to t − 1, one step of the full chain, instead of to t_prev, the previous timestep of the "
       "DDIM sub-sequence, so ᾱ_prev belongs to the wrong timestep.",
       "ᾱ_prev = ᾱ at t_prev (1 at t_prev = −1), the timestep the loop steps to"),
    _d("ddim_prev_by_subtraction",
       "The previous timestep is t − T // steps (diffusers' prev_timestep), which misses the trailing sub-sequence "
       "whenever steps does not divide T.",
       "step from τ_j to τ_{j-1}, the next timestep of the sub-sequence itself (to −1 after τ_1)"),
    _d("ddim_last_to_alpha_bar_0",
       "The last step goes to ᾱ_0, the first noisy timestep (diffusers' set_alpha_to_one=False), instead of to the "
       "data, where ᾱ_prev = 1.",
       "end with the step to t_prev = −1, ᾱ_prev = 1"),
    _d("ddim_sigma_missing_ratio",
       "σ lacks its first factor √((1 − ᾱ_prev)/(1 − ᾱ_t)): eq. 16's σ is η times the posterior's standard "
       "deviation between the two timesteps, not η·√(1 − ᾱ_t/ᾱ_prev).",
       "σ = η·√((1 − ᾱ_prev)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev) (Song et al. eq. 16)"),
    _d("latent_mean_missing",
       "The sample is scaled by z_std but not shifted by z_mean: un-standardising inverts (z − z_mean)/z_std, both "
       "steps of it.",
       "decoder(z_std * z0_hat + z_mean)"),
    _d("latent_std_missing",
       "The sample is shifted by z_mean but not scaled by z_std: un-standardising inverts (z − z_mean)/z_std, both "
       "steps of it.",
       "decoder(z_std * z0_hat + z_mean)"),
    _d("latent_var_for_std",
       "The sample is scaled by z_std², the variance, where the standard deviation z_std belongs.",
       "decoder(z_std * z0_hat + z_mean)"),
    _d("latent_clipped",
       "ẑ0 is clipped to [−1, 1], at the end or as x̂0 at every step (with η = 0 and this task's model both give the "
       "same numbers); latents are not images in [−1, 1], and un-standardising needs ẑ0 as DDIM gives it.",
       "drop every clamp from the latent sampler: decoder(z_std * z0_hat + z_mean)"),
    _d("calls_wrong_ddim_step",
       "On every failing case the grader followed, ddim_sample's own loop is right given what your ddim_step returned "
       "it (the trailing timesteps from the top, the right noises and η, each step fed the last one's output): it "
       "fails only because ddim_step, which it calls, is wrong on those very inputs.",
       "fix ddim_step first (its own check says how); this ddim_sample then passes as it is"),
    _d("calls_wrong_ddim_sample",
       "On every failing case the grader followed, sample_latent's own code is right given the ẑ0 your ddim_sample "
       "returned it (un-standardised and decoded as it should be): it fails only because ddim_sample, or a function "
       "it calls, is wrong on those very inputs.",
       "fix ddim_sample first (its own check says how); this sample_latent then passes as it is"),
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
    "ELBO inspection": ["kl_reversed", "kl_mean_over_dims", "kl_std_for_var", "kl_bits", "kl_no_half",
                        "kl_bits_per_dim"],
    "Posterior q(xₜ₋₁ | xₜ, x₀)": ["kl_sigma_tilde", "kl_q_variance_beta"],
    "Sampling": ["t_prev_wrap", "ddim_direction_without_sigma", "ddim_no_noise", "ddim_sigma_not_sqrt",
                 "ddim_noise_index", "leading_spacing", "linspace_spacing", "trailing_without_minus_one",
                 "ddim_ascending", "ddim_t_minus_1", "ddim_prev_by_subtraction", "ddim_last_to_alpha_bar_0",
                 "ddim_sigma_missing_ratio", "calls_wrong_ddim_step"],
    "Latent diffusion": ["latent_not_unstandardised", "latent_standardised_again", "latent_mean_std_swapped",
                         "latent_mean_missing", "latent_std_missing", "latent_var_for_std", "latent_clipped",
                         "calls_wrong_ddim_sample"],
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


def _kl_bits_per_dim(model, x0, x_t, t, s: Schedule):
    """Bits per dimension, as VLBTerms.bits_per_dim reports the bound: nats averaged over dimensions, over log 2."""
    return _kl_with(normal_kl, reduce="mean")(model, x0, x_t, t, s) / math.log(2)


def _kl_clip_x0(model, x0, x_t, t, s: Schedule):
    """μ_θ from x̂0 clipped to [−1, 1] (improved-diffusion's clip_denoised)."""
    return vlb_term(model, x0, x_t, t, s, clip_x0=1.0)


# ---- ddim_step(model, x_t, t, t_prev, s, eta, noise) ----------------------------------------------------------------

def _ddim_with(model, x_t, t, t_prev, s: Schedule, eta: float, noise, *, direction_sigma: bool = True,
               with_noise: bool = True, sigma_sqrt: bool = True, sigma_ratio: bool = True, x0_sqrt: bool = True,
               x0_term_sqrt: bool = True, clip: bool = False):
    """One DDIM step (eq. 12) for (B,) t and t_prev, each switch planting one mistake: False drops a piece, `clip`
    clamps x̂0 to [−1, 1] keeping ε_θ as the model gave it. (alpha_bar[t_prev] wrapping round at t_prev = −1 gives
    NaN, so graders/engine/tasks/ddpm_beyond.py's nan_spy names that one.)"""
    ab = extract(s.alpha_bar, t, x_t)
    ab_prev = extract(torch.cat([s.alpha_bar.new_ones(1), s.alpha_bar]), t_prev + 1, x_t)  # 1 at t_prev = −1
    eps_pred = model(x_t, t)
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, s) if x0_sqrt else (x_t - (1 - ab) * eps_pred) / ab
    x0_pred = x0_pred.clamp(-1, 1) if clip else x0_pred
    ratio = (1 - ab_prev) / (1 - ab) if sigma_ratio else 1
    var = ratio * (1 - ab / ab_prev)
    sigma = eta * (var.sqrt() if sigma_sqrt else var)
    direction = (1 - ab_prev - (sigma**2 if direction_sigma else 0)).clamp(min=0).sqrt()
    x_prev = (ab_prev.sqrt() if x0_term_sqrt else ab_prev) * x0_pred + direction * eps_pred
    return x_prev + sigma * noise if with_noise and noise is not None else x_prev


def _step_variant(**mistake):
    return lambda model, x_t, t, t_prev, s, eta, noise: _ddim_with(model, x_t, t, t_prev, s, eta, noise, **mistake)


def _step_t_minus_1(model, x_t, t, t_prev, s: Schedule, eta, noise):
    """The reference's step to t − 1, whatever t_prev says."""
    return ddim_reverse_step(model, x_t, t, t - 1, s, eta, noise).x_prev


def _step_clip_x0(model, x_t, t, t_prev, s: Schedule, eta, noise):
    """The reference's step with x̂0 clipped to [−1, 1] and ε_θ made consistent with it, as improved-diffusion does."""
    return ddim_reverse_step(model, x_t, t, t_prev, s, eta, noise, clip_x0=1.0).x_prev


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


def _loop_to(t_prev_of: Callable[[list[int], int, int], int]):
    """The reference's DDIM steps from each trailing τ_i (the model called there, z = noises[i]) to
    t_prev_of(τ, i, T) instead of τ_{i-1}; a step that would not go down ends the run there."""
    def wrong(model, x_T, s: Schedule, steps: int, eta: float, noises):
        timesteps = ddim_timesteps(s.T, steps)
        x_t = x_T
        with torch.no_grad():
            for i in reversed(range(len(timesteps))):
                t_prev = t_prev_of(timesteps, i, s.T)
                if t_prev >= timesteps[i]:
                    break
                z = noises[i] if eta > 0 else None
                x_t = ddim_reverse_step(model, x_t, timesteps[i], t_prev, s, eta, z).x_prev
        return x_t
    return wrong


def _ddim_clipped(clip_x0: float | None = None, final: bool = False):
    """The reference's DDIM with x̂0 clipped at every step, or its sample clipped at the end, to [−1, 1]."""
    def wrong(model, x_T, s: Schedule, steps: int, eta: float, noises):
        x0 = sample_ddim(model, x_T.shape, s, steps, eta, x_T=x_T, noises=noises, clip_x0=clip_x0)
        return x0.clamp(-1, 1) if final else x0
    return wrong


_loop_t_minus_1 = _loop_to(lambda taus, i, T: taus[i] - 1)
_loop_by_subtraction = _loop_to(lambda taus, i, T: max(taus[i] - T // len(taus), -1))
_loop_last_to_alpha_bar_0 = _loop_to(lambda taus, i, T: taus[i - 1] if i > 0 else 0)


# ---- sample_latent(model, decoder, z_T, s, steps, z_mean, z_std) -----------------------------------------------------

def _latent_variant(unstandardise: Callable = lambda z, mean, std: std * z + mean, sampler: Callable | None = None):
    """ẑ0 from `sampler` (the reference's DDIM, η = 0, unless a wrong loop of ddim_sample's is given), then
    un-standardised by `unstandardise` and decoded."""
    def wrong(model, decoder, z_T, s: Schedule, steps: int, z_mean, z_std):
        if sampler is None:
            z0_hat = sample_ddim(model, z_T.shape, s, steps, 0.0, x_T=z_T)
        else:
            z0_hat = sampler(model, z_T, s, steps, 0.0, None)
        return decoder(unstandardise(z0_hat, z_mean, z_std))
    return wrong


# ---- the table the checks read ----------------------------------------------------------------------------------

WRONG: dict[str, dict[str, list[Callable]]] = {
    "kl_term": {
        "kl_reversed": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mp, lp, mq, lq))],
        "kl_q_variance_beta": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mq, lp, mp, lp))],
        "kl_mean_over_dims": [_kl_with(normal_kl, reduce="mean")],
        "kl_sigma_tilde": [_kl_sigma_tilde],
        "kl_std_for_var": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mq, lq / 2, mp, lp / 2))],
        "kl_bits": [_kl_with(lambda mq, lq, mp, lp: normal_kl(mq, lq, mp, lp) / math.log(2))],
        "kl_bits_per_dim": [_kl_bits_per_dim],
        "kl_no_half": [_kl_with(lambda mq, lq, mp, lp: 2 * normal_kl(mq, lq, mp, lp))],
        "clip_x0_pred": [_kl_clip_x0],
    },
    "ddim_step": {
        "ddim_direction_without_sigma": [_step_variant(direction_sigma=False)],
        "ddim_no_noise": [_step_variant(with_noise=False)],
        "ddim_sigma_not_sqrt": [_step_variant(sigma_sqrt=False)],
        "ddim_sigma_missing_ratio": [_step_variant(sigma_ratio=False)],
        "missing_sqrt": [_step_variant(x0_sqrt=False)],
        "missing_sqrt_x0": [_step_variant(x0_term_sqrt=False)],
        "ddim_t_minus_1": [_step_t_minus_1],
        "clip_x0_pred": [_step_clip_x0, _step_variant(clip=True)],
    },
    "ddim_sample": {
        "ddim_noise_index": [_loop_variant(noise_flipped=True)],
        "ddim_direction_without_sigma": [_loop_variant(direction_sigma=False)],
        "ddim_no_noise": [_loop_variant(with_noise=False)],
        "ddim_sigma_missing_ratio": [_loop_variant(sigma_ratio=False)],
        "missing_sqrt": [_loop_variant(x0_sqrt=False)],
        "missing_sqrt_x0": [_loop_variant(x0_term_sqrt=False)],
        "ddim_t_minus_1": [_loop_t_minus_1],
        "ddim_prev_by_subtraction": [_loop_by_subtraction],
        "ddim_last_to_alpha_bar_0": [_loop_last_to_alpha_bar_0],
        "clip_x0_pred": [_ddim_clipped(clip_x0=1.0), _loop_variant(clip=True)],
        "final_clip": [_ddim_clipped(final=True)],
    },
    "sample_latent": {
        "latent_not_unstandardised": [_latent_variant(lambda z, mean, std: z)],
        "latent_standardised_again": [_latent_variant(lambda z, mean, std: (z - mean) / std)],
        "latent_mean_std_swapped": [_latent_variant(lambda z, mean, std: mean * z + std)],
        "latent_mean_missing": [_latent_variant(lambda z, mean, std: std * z)],
        "latent_std_missing": [_latent_variant(lambda z, mean, std: z + mean)],
        "latent_var_for_std": [_latent_variant(lambda z, mean, std: std**2 * z + mean)],
        "latent_clipped": [_latent_variant(lambda z, mean, std: std * z.clamp(-1, 1) + mean),
                           _latent_variant(sampler=_ddim_clipped(clip_x0=1.0)),
                           _latent_variant(sampler=_loop_variant(clip=True))],
        "ddim_last_to_alpha_bar_0": [_latent_variant(sampler=_loop_last_to_alpha_bar_0)],
        "ddim_t_minus_1": [_latent_variant(sampler=_loop_t_minus_1)],
    },
}
