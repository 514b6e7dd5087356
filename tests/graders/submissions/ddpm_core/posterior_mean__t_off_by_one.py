# task: posterior_mean
# expect: t_off_by_one
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: every coefficient read at t - 1, as if t were the paper's 1-indexed t."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    s = t - 1
    shape = (-1, *[1] * (x0.dim() - 1))
    ab, ab_prev, a, b = (v.reshape(shape).to(x0.dtype) for v in (alpha_bar[s], alpha_bar_prev[s], alphas[s], betas[s]))
    return ab_prev.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
