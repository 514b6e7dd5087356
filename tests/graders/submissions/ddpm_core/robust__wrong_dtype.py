# task: posterior_mean
# expect-status: passed
# points-lost: 1 (right numbers in float64 for float32 inputs: a contract slip costs one point, not the task)
import torch


def posterior_mean(x0, x_t, t, betas):
    """Right numbers, but the float64 schedule promotes float32 inputs to float64."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    ab, ab_prev, a, b = (v[t].reshape(shape) for v in (alpha_bar, alpha_bar_prev, alphas, betas))
    return ab_prev.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
