# task: posterior_mean
# expect: alpha_bar_prev_unshifted
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted mistake: reads ᾱ_{t-1} as alpha_bar[t], the table never shifted."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    ab, ab_prev, a, b = alpha_bar[t], alpha_bar[t], alphas[t], betas[t]
    shape = (-1, *[1] * (x0.dim() - 1))
    coef_x0 = (ab_prev.sqrt() * b / (1 - ab)).reshape(shape).to(x0.dtype)
    coef_xt = (a.sqrt() * (1 - ab_prev) / (1 - ab)).reshape(shape).to(x0.dtype)
    return coef_x0 * x0 + coef_xt * x_t
