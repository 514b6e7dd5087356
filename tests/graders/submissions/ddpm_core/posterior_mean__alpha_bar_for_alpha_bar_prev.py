# task: posterior_mean
# expect: alpha_bar_for_alpha_bar_prev
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: √ᾱ_t where √ᾱ_{t-1} belongs in x0's coefficient."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    coef_x0 = alpha_bar.sqrt() * betas / (1 - alpha_bar)
    coef_xt = alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)
    shape = (-1, *[1] * (x0.dim() - 1))
    return coef_x0[t].reshape(shape).to(x0.dtype) * x0 + coef_xt[t].reshape(shape).to(x0.dtype) * x_t
