"""Do the checks pass every correct way of writing each task, and only within a dtype-scaled tolerance?

VARIANTS holds correct solutions in different styles: loops or vectorised, gather or indexing, float64 inside,
NumPy in the middle, coefficients cast early or late, and ports of well-known public code (denoising-diffusion-
pytorch's `extract`, improved-diffusion's posterior coefficients, diffusers' DDPMScheduler.step) computing in the
inputs' dtype. All must pass the full (hidden) check, with no point off: each returns a tensor in its inputs' dtype
and leaves its inputs alone, so none makes a contract slip. PRECISION_SLIPS holds the same ports as published, with
float32 coefficients whatever the inputs' dtype: right to float32 only, one point off (graders/engine/judging.py) where that
shows past float64's tolerance — in the sampler, not in q_sample, posterior_mean or eps_loss, whose float32 rounding
stays under 1e-7·(1 + |truth|).
bench/bench_fairness.py and tests/graders/test_graders_fairness_seeds.py run both at many course seeds.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from graders.student.checks import check_eps_loss, check_posterior_mean, check_q_sample, check_sample_loop
from graders.engine.results import CheckResult


VARIANTS: dict[str, list] = {}  # task -> its correct variants, each section below adding its own


def _full_marks(result: CheckResult) -> None:
    assert result.passed, result.message
    assert result.points_lost == 0, result.message


def _b(v, x):
    return v.reshape(-1, *[1] * (x.dim() - 1))


# ---- q_sample -------------------------------------------------------------------------------------------------

def q_vectorised(x0, t, noise, alpha_bar):
    ab = _b(alpha_bar[t], x0)
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise


def q_loop(x0, t, noise, alpha_bar):
    out = torch.empty_like(x0)
    for i in range(x0.shape[0]):
        a = alpha_bar[t[i]]
        out[i] = a.sqrt() * x0[i] + (1 - a).sqrt() * noise[i]
    return out


def q_gather_cast_early(x0, t, noise, alpha_bar):
    ab = _b(alpha_bar.to(x0.dtype).gather(0, t), x0)
    return torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * noise


def q_float64_inside(x0, t, noise, alpha_bar):
    ab = _b(alpha_bar[t], x0)
    return (ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()).to(x0.dtype)


def q_numpy_middle(x0, t, noise, alpha_bar):
    ab = alpha_bar.numpy()[t.numpy()]
    shape = (-1,) + (1,) * (x0.dim() - 1)
    out = np.sqrt(ab).reshape(shape) * x0.numpy() + np.sqrt(1 - ab).reshape(shape) * noise.numpy()
    return torch.from_numpy(out).to(x0.dtype)


def q_view_einsum(x0, t, noise, alpha_bar):
    a = alpha_bar[t].to(x0.dtype)
    return torch.einsum("b,b...->b...", a.sqrt(), x0) + torch.einsum("b,b...->b...", (1 - a).sqrt(), noise)


def _extract(a, t, x_shape):
    """denoising-diffusion-pytorch's extract: gather a (T,) buffer at t, shaped (B, 1, …, 1) to broadcast."""
    return a.gather(-1, t).reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


def q_ported_extract(x0, t, noise, alpha_bar):
    """denoising-diffusion-pytorch's q_sample, its buffers kept in the inputs' dtype."""
    sqrt_alpha_bar, sqrt_one_minus_alpha_bar = alpha_bar.sqrt().to(x0.dtype), (1 - alpha_bar).sqrt().to(x0.dtype)
    return _extract(sqrt_alpha_bar, t, x0.shape) * x0 + _extract(sqrt_one_minus_alpha_bar, t, x0.shape) * noise


def q_float32_buffers(x0, t, noise, alpha_bar):
    """denoising-diffusion-pytorch's q_sample as published: its buffers registered as float32."""
    sqrt_alpha_bar, sqrt_one_minus_alpha_bar = alpha_bar.sqrt().float(), (1 - alpha_bar).sqrt().float()
    return _extract(sqrt_alpha_bar, t, x0.shape) * x0 + _extract(sqrt_one_minus_alpha_bar, t, x0.shape) * noise


VARIANTS["q_sample"] = [q_vectorised, q_loop, q_gather_cast_early, q_float64_inside, q_numpy_middle, q_view_einsum,
                        q_ported_extract]


@pytest.mark.parametrize("fn", VARIANTS["q_sample"])
def test_q_sample_variants_pass(fn):
    """Does every correct way of writing q_sample pass the hidden check?"""
    result = check_q_sample(fn)
    _full_marks(result)
    assert result.cases_run == 27


# ---- posterior_mean -------------------------------------------------------------------------------------------

def pm_vectorised(x0, x_t, t, betas):
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    coef_x0 = ab_prev.sqrt() * betas / (1 - ab)
    coef_xt = alphas.sqrt() * (1 - ab_prev) / (1 - ab)
    return _b(coef_x0[t], x0).to(x0.dtype) * x0 + _b(coef_xt[t], x0).to(x0.dtype) * x_t


def pm_where_at_zero(x0, x_t, t, betas):
    ab = torch.cumprod(1 - betas, 0)
    ab_prev = torch.where(t == 0, torch.ones_like(ab[t]), ab[(t - 1).clamp(min=0)])
    b, a_t, a = betas[t], 1 - betas[t], ab[t]
    c1 = ab_prev.sqrt() * b / (1 - a)
    c2 = a_t.sqrt() * (1 - ab_prev) / (1 - a)
    return _b(c1, x0).to(x0.dtype) * x0 + _b(c2, x0).to(x0.dtype) * x_t


def pm_in_input_dtype(x0, x_t, t, betas):
    betas = betas.to(x0.dtype)  # everything in float32 for float32 inputs
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    return (_b(ab_prev[t].sqrt() * betas[t] / (1 - ab[t]), x0) * x0
            + _b(alphas[t].sqrt() * (1 - ab_prev[t]) / (1 - ab[t]), x0) * x_t)


def pm_loop_prev_by_division(x0, x_t, t, betas):
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    out = torch.empty_like(x0)
    for i, ti in enumerate(t.tolist()):
        ab_prev = ab[ti] / alphas[ti]  # ᾱ_{t-1} = ᾱ_t / α_t, exactly 1 at t = 0
        out[i] = (ab_prev.sqrt() * betas[ti] * x0[i] + alphas[ti].sqrt() * (1 - ab_prev) * x_t[i]) / (1 - ab[ti])
    return out


def pm_numpy(x0, x_t, t, betas):
    b = betas.numpy()
    ab = np.cumprod(1 - b)
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    ti = t.numpy()
    shape = (-1,) + (1,) * (x0.dim() - 1)
    c1 = (np.sqrt(ab_prev) * b / (1 - ab))[ti].reshape(shape)
    c2 = (np.sqrt(1 - b) * (1 - ab_prev) / (1 - ab))[ti].reshape(shape)
    return torch.from_numpy(c1 * x0.double().numpy() + c2 * x_t.double().numpy()).to(x0.dtype)


def _posterior_coefficients(betas):
    """improved-diffusion's posterior_mean_coef1 and posterior_mean_coef2, in float64 NumPy as it computes them."""
    b = betas.numpy()
    ab = np.cumprod(1 - b)
    ab_prev = np.append(1.0, ab[:-1])
    return b * np.sqrt(ab_prev) / (1 - ab), (1 - ab_prev) * np.sqrt(1 - b) / (1 - ab)


def pm_ported_improved_diffusion(x0, x_t, t, betas):
    """improved-diffusion's q_posterior_mean_variance, its _extract_into_tensor casting to the inputs' dtype."""
    coef1, coef2 = _posterior_coefficients(betas)
    shape = (-1, *[1] * (x0.dim() - 1))
    return (torch.from_numpy(coef1)[t].to(x0.dtype).reshape(shape) * x0
            + torch.from_numpy(coef2)[t].to(x0.dtype).reshape(shape) * x_t)


def pm_float32_extract(x0, x_t, t, betas):
    """improved-diffusion's q_posterior_mean_variance as published: _extract_into_tensor ends in .float()."""
    coef1, coef2 = _posterior_coefficients(betas)
    shape = (-1, *[1] * (x0.dim() - 1))
    return (torch.from_numpy(coef1)[t].float().reshape(shape) * x0
            + torch.from_numpy(coef2)[t].float().reshape(shape) * x_t)


VARIANTS["posterior_mean"] = [pm_vectorised, pm_where_at_zero, pm_in_input_dtype, pm_loop_prev_by_division, pm_numpy,
                              pm_ported_improved_diffusion]


@pytest.mark.parametrize("fn", VARIANTS["posterior_mean"])
def test_posterior_mean_variants_pass(fn):
    """Does every correct way of writing posterior_mean pass the hidden check, float32 arithmetic included?"""
    _full_marks(check_posterior_mean(fn))


# ---- eps_loss -------------------------------------------------------------------------------------------------

def loss_mse(model, x0, t, noise, alpha_bar):
    ab = _b(alpha_bar[t].to(x0.dtype), x0)
    return F.mse_loss(model(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t), noise)


def loss_per_example_calls(model, x0, t, noise, alpha_bar):
    total = 0
    for i in range(x0.shape[0]):
        a = alpha_bar[t[i]].item()
        x_t = a**0.5 * x0[i:i + 1] + (1 - a) ** 0.5 * noise[i:i + 1]
        total = total + ((noise[i:i + 1] - model(x_t, t[i:i + 1])) ** 2).mean()
    return total / x0.shape[0]


def loss_float64_inside(model, x0, t, noise, alpha_bar):
    ab = _b(alpha_bar[t], x0)
    x_t = (ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()).to(x0.dtype)
    return ((noise.double() - model(x_t, t).double()) ** 2).mean().to(x0.dtype)


def loss_numpy_gather(model, x0, t, noise, alpha_bar):
    ab = torch.from_numpy(alpha_bar.numpy()[t.numpy()]).to(x0.dtype)
    x_t = _b(ab.sqrt(), x0) * x0 + _b((1 - ab).sqrt(), x0) * noise
    return (noise - model(x_t, t)).pow(2).sum() / noise.numel()


def loss_float32_buffers(model, x0, t, noise, alpha_bar):
    """denoising-diffusion-pytorch's p_losses as published: float32 buffers, F.mse_loss."""
    x_t = q_float32_buffers(x0, t, noise, alpha_bar)
    return F.mse_loss(model(x_t, t), noise)


VARIANTS["eps_loss"] = [loss_mse, loss_per_example_calls, loss_float64_inside, loss_numpy_gather]


@pytest.mark.parametrize("fn", VARIANTS["eps_loss"])
def test_eps_loss_variants_pass(fn):
    """Does every correct way of writing eps_loss pass, one model call per example included?"""
    _full_marks(check_eps_loss(fn))


# ---- sample_loop ----------------------------------------------------------------------------------------------

def loop_eq11(model, x_T, betas, noises):
    alphas, ab = 1 - betas, torch.cumprod(1 - betas, 0)
    x = x_T
    for t in reversed(range(len(betas))):
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x = (x - betas[t] / (1 - ab[t]).sqrt() * eps) / alphas[t].sqrt()
        if t > 0:
            x = x + betas[t].sqrt() * noises[t]
    return x


def loop_via_x0_pred(model, x_T, betas, noises):
    """μ̃(x_t, x̂0) with x̂0 from eq. 15: the same mean as eq. 11, reached another way."""
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    x = x_T
    for t in range(len(betas) - 1, -1, -1):
        eps = model(x, torch.tensor([t] * x.shape[0]))
        x0_pred = (x - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()
        mean = ab_prev[t].sqrt() * betas[t] / (1 - ab[t]) * x0_pred + alphas[t].sqrt() * (1 - ab_prev[t]) / (1 - ab[t]) * x
        x = mean + betas[t].sqrt() * noises[t] * (t > 0)
    return x


def loop_float64_inside(model, x_T, betas, noises):
    alphas, ab = 1 - betas, torch.cumprod(1 - betas, 0)
    x = x_T.double()
    with torch.no_grad():
        for t in reversed(range(len(betas))):
            eps = model(x.to(x_T.dtype), torch.full((x.shape[0],), t, dtype=torch.long)).double()
            x = (x - betas[t] / (1 - ab[t]).sqrt() * eps) / alphas[t].sqrt()
            x = x + betas[t].sqrt() * noises[t].double() if t > 0 else x
    return x.to(x_T.dtype)


def loop_input_dtype_scalar_t(model, x_T, betas, noises):
    betas = betas.to(x_T.dtype)
    alphas, ab = 1 - betas, torch.cumprod(1 - betas, 0)
    x = x_T.clone()
    for t in reversed(range(len(betas))):
        eps = model(x, t)  # an int t: the spy model accepts it too
        x = (x - betas[t] / torch.sqrt(1 - ab[t]) * eps) / torch.sqrt(alphas[t])
        if t:
            x += torch.sqrt(betas[t]) * noises[t]
    return x


def _diffusers_step(alpha_bar, model_output, t, sample, noise):
    """diffusers' DDPMScheduler.step (ε prediction, no clipping, σ_t² = β_t) on `alpha_bar` as given."""
    alpha_prod_t = alpha_bar[t]
    alpha_prod_t_prev = alpha_bar[t - 1] if t > 0 else torch.ones((), dtype=alpha_bar.dtype)
    beta_prod_t, beta_prod_t_prev = 1 - alpha_prod_t, 1 - alpha_prod_t_prev
    current_alpha_t = alpha_prod_t / alpha_prod_t_prev
    current_beta_t = 1 - current_alpha_t
    x0_pred = (sample - beta_prod_t ** 0.5 * model_output) / alpha_prod_t ** 0.5  # 2. (eq. 15)
    coef_x0 = alpha_prod_t_prev ** 0.5 * current_beta_t / beta_prod_t  # 4. (eq. 7)
    coef_x_t = current_alpha_t ** 0.5 * beta_prod_t_prev / beta_prod_t
    prev_sample = coef_x0 * x0_pred + coef_x_t * sample  # 5.
    return prev_sample + current_beta_t ** 0.5 * noise if t > 0 else prev_sample  # 6.


def loop_ported_diffusers(model, x_T, betas, noises):
    """A loop over diffusers' DDPMScheduler.step, its alphas_cumprod in the inputs' dtype."""
    alpha_bar = torch.cumprod(1 - betas.to(x_T.dtype), 0)
    x = x_T
    for t in reversed(range(len(betas))):
        x = _diffusers_step(alpha_bar, model(x, torch.full((x.shape[0],), t)), t, x, noises[t])
    return x


def loop_float32_buffers(model, x_T, betas, noises):
    """The same loop as published: diffusers builds betas and alphas_cumprod as float32."""
    alpha_bar = torch.cumprod(1 - betas.float(), 0)
    x = x_T
    for t in reversed(range(len(betas))):
        x = _diffusers_step(alpha_bar, model(x, torch.full((x.shape[0],), t)), t, x, noises[t])
    return x


VARIANTS["sample_loop"] = [loop_eq11, loop_via_x0_pred, loop_float64_inside, loop_input_dtype_scalar_t,
                           loop_ported_diffusers]


@pytest.mark.parametrize("fn", VARIANTS["sample_loop"])
def test_sample_loop_variants_pass(fn):
    """Does every correct way of writing the sampler pass, eq. 11 or the x̂0 route, float32 or float64 inside?"""
    _full_marks(check_sample_loop(fn))


PRECISION_SLIPS = {"q_sample": [q_float32_buffers], "posterior_mean": [pm_float32_extract],
                   "eps_loss": [loss_float32_buffers], "sample_loop": [loop_float32_buffers]}


def test_tolerance_is_tight_enough_to_fail_a_tiny_error():
    """Does a result off by 1e-3 (relative) fail, so the tolerance is not a blanket pass?"""
    def slightly_off(x0, t, noise, alpha_bar):
        return q_vectorised(x0, t, noise, alpha_bar) * (1 + 1e-3)

    result = check_q_sample(slightly_off)
    assert not result.passed and result.status == "wrong"
    assert 1e-4 < result.max_rel_error < 1e-2
