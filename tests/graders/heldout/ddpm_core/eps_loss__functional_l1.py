# task: eps_loss
# expect: l1_loss
import torch.nn.functional as F


def eps_loss(model, x0, t, noise, alpha_bar):
    """Held-out: torch.nn.functional's l1_loss, as some tutorials train."""
    a = alpha_bar.gather(0, t).to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
    return F.l1_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise)
