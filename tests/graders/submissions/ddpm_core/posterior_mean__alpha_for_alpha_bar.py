# task: posterior_mean
# expect: alpha_for_alpha_bar
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: ᾱ taken as α = 1 − β, the cumulative product forgotten."""
    alphas = 1 - betas
    alpha_bar = alphas
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    ab, ab_prev, a, b = (v[t].reshape(shape).to(x0.dtype) for v in (alpha_bar, alpha_bar_prev, alphas, betas))
    return ab_prev.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
