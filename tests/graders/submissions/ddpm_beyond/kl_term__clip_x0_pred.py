# task: kl_term
# expect: clip_x0_pred
import math

import torch


def _kl_per_dim(model, x0, x_t, t, betas, clip=False):
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))

    def at(arr):
        return arr[t].reshape(shape).to(x0.dtype)

    mean_q = at(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)) * x0 + at(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
    var_q = at(betas * (1 - alpha_bar_prev) / (1 - alpha_bar))
    var_p = at(betas)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - at((1 - alpha_bar).sqrt()) * eps_pred) / at(alpha_bar.sqrt())
    if clip:
        x0_pred = x0_pred.clamp(-1, 1)
    mean_p = at(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)) * x0_pred + at(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
    return 0.5 * (torch.log(var_p / var_q) + var_q / var_p + (mean_q - mean_p) ** 2 / var_p - 1)


def kl_term(model, x0, x_t, t, betas):
    """Planted mistake: μ_θ from x̂0 clipped to [−1, 1], improved-diffusion's clip_denoised."""
    return _kl_per_dim(model, x0, x_t, t, betas, clip=True).flatten(1).sum(1)
