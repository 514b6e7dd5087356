# task: eps_loss
# expect-status: memory
import torch


def eps_loss(model, x0, t, noise, alpha_bar):
    """Allocates (and would touch) 10 GB."""
    waste = torch.ones(10 * 2**30 // 4)
    return waste.mean()
