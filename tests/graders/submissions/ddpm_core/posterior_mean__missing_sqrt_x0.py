# task: posterior_mean
# expect: missing_sqrt_x0
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: ᾱ_{t-1} without its root in x0's coefficient only."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    coef_x0 = alpha_bar_prev * betas / (1 - alpha_bar)
    coef_xt = alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)
    shape = (-1, *[1] * (x0.dim() - 1))
    return coef_x0[t].reshape(shape).to(x0.dtype) * x0 + coef_xt[t].reshape(shape).to(x0.dtype) * x_t
