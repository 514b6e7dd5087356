# task: posterior_mean
# expect: alpha_bar_wrap
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: ᾱ_{t-1} as alpha_bar[t - 1], which wraps round at t = 0."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    shape = (-1, *[1] * (x0.dim() - 1))
    ab, ab_prev, a, b = (v.reshape(shape).to(x0.dtype) for v in (alpha_bar[t], alpha_bar[t - 1], alphas[t], betas[t]))
    return ab_prev.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
