# task: posterior_mean
# expect-status: wrong
# No known mistake: weights x0 and x_t by β̃_t and 1 − β̃_t, a story no catalogue entry tells.
import torch


def posterior_mean(x0, x_t, t, betas):
    """Planted un-catalogued mistake: an interpolation by the posterior variance."""
    alpha_bar = torch.cumprod(1 - betas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    beta_tilde = (betas * (1 - alpha_bar_prev) / (1 - alpha_bar))[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return beta_tilde * x0 + (1 - beta_tilde) * x_t
