# task: posterior_mean
# expect: swapped_posterior_coefficients
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: the x0 coefficient multiplies x_t and the other way round."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    ab, ab_prev, a, b = (v[t].reshape(shape).to(x0.dtype) for v in (alpha_bar, alpha_bar_prev, alphas, betas))
    return ab_prev.sqrt() * b / (1 - ab) * x_t + a.sqrt() * (1 - ab_prev) / (1 - ab) * x0
