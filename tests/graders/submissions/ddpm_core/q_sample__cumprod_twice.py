# task: q_sample
# expect: cumprod_twice
import torch


def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: takes the argument for α_t and cumulates it again."""
    ab = torch.cumprod(alpha_bar, 0)[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
