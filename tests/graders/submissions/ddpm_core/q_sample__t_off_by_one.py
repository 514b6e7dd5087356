# task: q_sample
# expect: t_off_by_one
import torch


def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: reads t as the paper's 1-indexed t, padding ᾱ with a 1 in front: ᾱ_{t-1}."""
    padded = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])
    ab = padded[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
