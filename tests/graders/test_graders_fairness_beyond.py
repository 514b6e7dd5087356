"""Do the `ddpm_beyond` checks pass every correct way of writing each task, with no point off?

VARIANTS holds correct solutions in different styles: torch.distributions or the formula by hand, loops or
vectorised, float64 inside, Python floats per step, an int t for the model, the DDIM step rewritten in x_t's
coefficients, a decoder called per example, and ports of well-known public code (improved-diffusion's normal_kl and
ddim_sample, diffusers' DDIMScheduler.step, Song et al.'s generalized_steps) computing in the inputs' dtype. None
clamps under a square root. Each returns a tensor in its inputs' dtype and leaves its inputs alone. PRECISION_SLIPS
holds those ports as published, with float32 coefficients: right to float32 only, one point off (graders/engine/judging.py)
where that shows past float64's tolerance.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from graders.student.checks import check_ddim_sample, check_ddim_step, check_kl_term, check_sample_latent
from graders.engine.results import CheckResult


VARIANTS: dict[str, list] = {}  # task -> its correct variants, each section below adding its own


def _full_marks(result: CheckResult) -> None:
    assert result.passed, result.message
    assert result.points_lost == 0, result.message


def _b(v, x):
    return v.reshape(-1, *[1] * (x.dim() - 1)).to(x.dtype)


def _prev(alpha_bar):
    return torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])


# ---- kl_term ------------------------------------------------------------------------------------------------------

def _gaussians(model, x0, x_t, t, betas):
    """(μ̃, β̃, μ_θ, β) gathered at t, each (B, 1, …) or like x0."""
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = _prev(ab)
    mean_q = _b((ab_prev.sqrt() * betas / (1 - ab))[t], x0) * x0 + _b((alphas.sqrt() * (1 - ab_prev) / (1 - ab))[t], x0) * x_t
    mean_p = (x_t - _b((betas / (1 - ab).sqrt())[t], x0) * model(x_t, t)) / _b(alphas.sqrt()[t], x0)
    return mean_q, _b((betas * (1 - ab_prev) / (1 - ab))[t], x0), mean_p, _b(betas[t], x0)


def kl_distributions(model, x0, x_t, t, betas):
    mean_q, var_q, mean_p, var_p = _gaussians(model, x0, x_t, t, betas)
    kl = kl_divergence(Normal(mean_q, var_q.sqrt().expand_as(mean_q)), Normal(mean_p, var_p.sqrt().expand_as(mean_p)))
    return kl.flatten(1).sum(1)


def kl_float64_inside(model, x0, x_t, t, betas):
    mean_q, var_q, mean_p, var_p = _gaussians(model, x0.double(), x_t.double(), t, betas)
    kl = 0.5 * (var_p.log() - var_q.log() + var_q / var_p + (mean_q - mean_p) ** 2 / var_p - 1)
    return kl.flatten(1).sum(1).to(x0.dtype)


def kl_loop(model, x0, x_t, t, betas):
    out = []
    for i in range(x0.shape[0]):
        mean_q, var_q, mean_p, var_p = _gaussians(model, x0[i:i + 1], x_t[i:i + 1], t[i:i + 1], betas)
        d = x0[i].numel()
        out.append(0.5 * d * ((var_p / var_q).log() + var_q / var_p - 1).reshape(()) + 0.5 * ((mean_q - mean_p) ** 2).sum() / var_p.reshape(()))
    return torch.stack(out)


def _normal_kl(mean1, logvar1, mean2, logvar2):
    """improved-diffusion's normal_kl, in nats."""
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def _improved_diffusion_kl(model, x0, x_t, t, betas, dtype):
    """improved-diffusion's _vb_terms_bpd before its division by log 2 (fixed_large: σ_t² = β_t for t ≥ 1), its
    _extract_into_tensor casting every float64 NumPy coefficient to `dtype`."""
    b = betas.numpy()
    ab = np.cumprod(1 - b)
    ab_prev = np.append(1.0, ab[:-1])
    posterior_variance = b * (1 - ab_prev) / (1 - ab)
    table = {"coef1": b * np.sqrt(ab_prev) / (1 - ab), "coef2": (1 - ab_prev) * np.sqrt(1 - b) / (1 - ab),
             "log_var_q": np.log(np.append(posterior_variance[1], posterior_variance[1:])),
             "log_var_p": np.log(np.append(posterior_variance[1], b[1:])),
             "sqrt_recip_ab": np.sqrt(1 / ab), "sqrt_recipm1_ab": np.sqrt(1 / ab - 1)}
    shape = (-1, *[1] * (x0.dim() - 1))
    at = {k: torch.from_numpy(v)[t].to(dtype).reshape(shape) for k, v in table.items()}
    mean_q = at["coef1"] * x0 + at["coef2"] * x_t
    x0_pred = at["sqrt_recip_ab"] * x_t - at["sqrt_recipm1_ab"] * model(x_t, t)
    mean_p = at["coef1"] * x0_pred + at["coef2"] * x_t
    return _normal_kl(mean_q, at["log_var_q"], mean_p, at["log_var_p"]).flatten(1).sum(1)


def kl_ported_improved_diffusion(model, x0, x_t, t, betas):
    return _improved_diffusion_kl(model, x0, x_t, t, betas, x0.dtype)


def kl_float32_extract(model, x0, x_t, t, betas):
    """As published: _extract_into_tensor ends in .float()."""
    return _improved_diffusion_kl(model, x0, x_t, t, betas, torch.float32)


VARIANTS["kl_term"] = [kl_distributions, kl_float64_inside, kl_loop, kl_ported_improved_diffusion]


@pytest.mark.parametrize("fn", VARIANTS["kl_term"])
def test_kl_term_variants_pass(fn):
    _full_marks(check_kl_term(fn))


# ---- ddim_step ----------------------------------------------------------------------------------------------------

def _ab_prev(alpha_bar, t_prev):
    return torch.where(t_prev >= 0, alpha_bar[t_prev.clamp(min=0)], torch.ones((), dtype=alpha_bar.dtype))


def step_where(model, x_t, t, t_prev, alpha_bar, eta, noise):
    ab, ab_prev = _b(alpha_bar[t], x_t), _b(_ab_prev(alpha_bar, t_prev), x_t)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab)).sqrt() * (1 - ab / ab_prev).sqrt()
    out = ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred
    return out + sigma * noise if eta > 0 else out


def step_x_t_coefficients(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """x_prev = √(ᾱ_prev/ᾱ_t)·x_t + (√(1 − ᾱ_prev − σ²) − √(ᾱ_prev(1 − ᾱ_t)/ᾱ_t))·ε_θ + σ·z, in float64."""
    ab, ab_prev = alpha_bar[t], _ab_prev(alpha_bar, t_prev)
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    eps_pred = model(x_t, t).double()
    c_x = (ab_prev / ab).sqrt()
    c_eps = (1 - ab_prev - sigma**2).sqrt() - (ab_prev * (1 - ab) / ab).sqrt()
    b = lambda v: v.reshape(-1, *[1] * (x_t.dim() - 1))  # noqa: E731
    return (b(c_x) * x_t.double() + b(c_eps) * eps_pred + b(sigma) * noise.double()).to(x_t.dtype)


def step_loop_floats(model, x_t, t, t_prev, alpha_bar, eta, noise):
    out = torch.empty_like(x_t)
    eps_pred = model(x_t, t)
    for i in range(x_t.shape[0]):
        ab = float(alpha_bar[t[i]])
        ab_prev = float(alpha_bar[t_prev[i]]) if t_prev[i] >= 0 else 1.0
        sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)) ** 0.5
        x0_pred = (x_t[i] - (1 - ab) ** 0.5 * eps_pred[i]) / ab**0.5
        out[i] = ab_prev**0.5 * x0_pred + (1 - ab_prev - sigma**2) ** 0.5 * eps_pred[i] + sigma * noise[i]
    return out


def _song_alpha(alpha_bar, t):
    """Song et al.'s compute_alpha: ᾱ at t with a 1 prepended, so t = −1 reads 1."""
    return torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar]).index_select(0, t + 1)


def _song_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """One step of Song et al.'s generalized_steps (github.com/ermongroup/ddim), its noise given."""
    shape = (-1, *[1] * (x_t.dim() - 1))
    at, at_next = _song_alpha(alpha_bar, t).reshape(shape), _song_alpha(alpha_bar, t_prev).reshape(shape)
    et = model(x_t, t)
    x0_t = (x_t - et * (1 - at).sqrt()) / at.sqrt()
    c1 = eta * ((1 - at / at_next) * (1 - at_next) / (1 - at)).sqrt()
    c2 = ((1 - at_next) - c1 ** 2).sqrt()
    return at_next.sqrt() * x0_t + c1 * noise + c2 * et


def step_ported_song(model, x_t, t, t_prev, alpha_bar, eta, noise):
    return _song_step(model, x_t, t, t_prev, alpha_bar.to(x_t.dtype), eta, noise)


def step_ported_diffusers(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """diffusers' DDIMScheduler.step (ε prediction, no clipping), example by example, its alphas_cumprod in the
    inputs' dtype and final_alpha_cumprod = 1 for t_prev = −1."""
    alphas_cumprod = alpha_bar.to(x_t.dtype)
    model_output = model(x_t, t)
    out = torch.empty_like(x_t)
    for i in range(x_t.shape[0]):
        alpha_prod_t = alphas_cumprod[t[i]]
        alpha_prod_t_prev = alphas_cumprod[t_prev[i]] if t_prev[i] >= 0 else torch.ones((), dtype=x_t.dtype)
        beta_prod_t = 1 - alpha_prod_t
        x0_pred = (x_t[i] - beta_prod_t ** 0.5 * model_output[i]) / alpha_prod_t ** 0.5  # 3.
        variance = (1 - alpha_prod_t_prev) / beta_prod_t * (1 - alpha_prod_t / alpha_prod_t_prev)  # 5.
        std_dev_t = eta * variance ** 0.5
        direction = (1 - alpha_prod_t_prev - std_dev_t**2) ** 0.5 * model_output[i]  # 6.
        out[i] = alpha_prod_t_prev ** 0.5 * x0_pred + direction + std_dev_t * noise[i]  # 7.
    return out


def _improved_diffusion_step(model, x_t, t, t_prev, alpha_bar, eta, noise, dtype):
    """improved-diffusion's ddim_sample: x̂0 from ε, ε again from x̂0, then eq. 12, its coefficients cast to `dtype`."""
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].to(dtype).reshape(shape)
    ab_prev = _song_alpha(alpha_bar, t_prev).to(dtype).reshape(shape)
    x0_pred = (1 / alpha_bar).sqrt()[t].to(dtype).reshape(shape) * x_t \
        - (1 / alpha_bar - 1).sqrt()[t].to(dtype).reshape(shape) * model(x_t, t)
    eps = ((1 / alpha_bar).sqrt()[t].to(dtype).reshape(shape) * x_t - x0_pred) \
        / (1 / alpha_bar - 1).sqrt()[t].to(dtype).reshape(shape)
    sigma = eta * torch.sqrt((1 - ab_prev) / (1 - ab)) * torch.sqrt(1 - ab / ab_prev)
    return x0_pred * torch.sqrt(ab_prev) + torch.sqrt(1 - ab_prev - sigma ** 2) * eps + sigma * noise


def step_ported_improved_diffusion(model, x_t, t, t_prev, alpha_bar, eta, noise):
    return _improved_diffusion_step(model, x_t, t, t_prev, alpha_bar, eta, noise, x_t.dtype)


def step_float32_extract(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """As published: _extract_into_tensor ends in .float()."""
    return _improved_diffusion_step(model, x_t, t, t_prev, alpha_bar, eta, noise, torch.float32)


VARIANTS["ddim_step"] = [step_where, step_x_t_coefficients, step_loop_floats, step_ported_song, step_ported_diffusers,
                         step_ported_improved_diffusion]


@pytest.mark.parametrize("fn", VARIANTS["ddim_step"])
def test_ddim_step_variants_pass(fn):
    _full_marks(check_ddim_step(fn))


# ---- ddim_sample --------------------------------------------------------------------------------------------------

def sample_int_t_float64(model, x_T, alpha_bar, steps, eta, noises):
    """Timesteps from a float tensor, the model called with an int t, every step in float64."""
    T = len(alpha_bar)
    taus = ((torch.arange(1, steps + 1, dtype=torch.float64) * T / steps).round().long() - 1).tolist()
    x = x_T.double()
    for i in range(steps - 1, -1, -1):
        ab = alpha_bar[taus[i]]
        ab_prev = alpha_bar[taus[i - 1]] if i > 0 else torch.tensor(1.0, dtype=torch.float64)
        eps_pred = model(x, taus[i]).double()
        x0_pred = (x - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
        sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
        x = ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred + sigma * noises[i].double()
    return x.to(x_T.dtype)


def sample_via_step(model, x_T, alpha_bar, steps, eta, noises):
    """The loop over step_where, with t and t_prev as (B,) tensors and the sub-sequence walked from the top."""
    T, B = len(alpha_bar), x_T.shape[0]
    taus = [round(j * T / steps) - 1 for j in range(steps, 0, -1)]  # descending
    x = x_T
    for k, t in enumerate(taus):
        t_prev = taus[k + 1] if k + 1 < steps else -1
        x = step_where(model, x, torch.full((B,), t), torch.full((B,), t_prev), alpha_bar, eta, noises[steps - 1 - k])
    return x


def _song_loop(model, x_T, alpha_bar, steps, eta, noises):
    """Song et al.'s generalized_steps over the trailing sub-sequence, from its top: seq_next = [−1] + seq[:−1]."""
    T, n = len(alpha_bar), x_T.shape[0]
    seq = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    seq_next = [-1] + seq[:-1]
    x = x_T
    for k, (i, j) in reversed(list(enumerate(zip(seq, seq_next)))):
        x = _song_step(model, x, (torch.ones(n) * i).long(), (torch.ones(n) * j).long(), alpha_bar, eta, noises[k])
    return x


def sample_ported_song(model, x_T, alpha_bar, steps, eta, noises):
    return _song_loop(model, x_T, alpha_bar.to(x_T.dtype), steps, eta, noises)


def sample_float32_betas(model, x_T, alpha_bar, steps, eta, noises):
    """As published: Song et al.'s runner makes its betas float32."""
    return _song_loop(model, x_T, alpha_bar.float(), steps, eta, noises)


VARIANTS["ddim_sample"] = [sample_int_t_float64, sample_via_step, sample_ported_song]


@pytest.mark.parametrize("fn", VARIANTS["ddim_sample"])
def test_ddim_sample_variants_pass(fn):
    _full_marks(check_ddim_sample(fn))


# ---- sample_latent ------------------------------------------------------------------------------------------------

def latent_decoded_one_by_one(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    z0_hat = sample_int_t_float64(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape))
    z0 = z0_hat * z_std[None] + z_mean[None]
    return torch.cat([decoder(z0[i:i + 1]) for i in range(z0.shape[0])])


def latent_addcmul(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    z0_hat = sample_via_step(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape, dtype=z_T.dtype))
    return decoder(torch.addcmul(z_mean, z0_hat, z_std))


def latent_float32_betas(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    z0_hat = sample_float32_betas(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape, dtype=z_T.dtype))
    return decoder(z0_hat * z_std + z_mean)


VARIANTS["sample_latent"] = [latent_decoded_one_by_one, latent_addcmul]


@pytest.mark.parametrize("fn", VARIANTS["sample_latent"])
def test_sample_latent_variants_pass(fn):
    _full_marks(check_sample_latent(fn))


PRECISION_SLIPS = {"kl_term": [kl_float32_extract], "ddim_step": [step_float32_extract],
                   "ddim_sample": [sample_float32_betas], "sample_latent": [latent_float32_betas]}


def test_a_small_error_in_the_kl_fails():
    """Is the tolerance tight enough to fail a KL off by one part in a thousand (float64 cases)?"""
    result = check_kl_term(lambda *a: kl_float64_inside(*a) * 1.001)
    assert not result.passed and result.cases_failed >= 1
