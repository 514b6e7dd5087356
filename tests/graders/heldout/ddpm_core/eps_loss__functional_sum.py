# task: eps_loss
# expect: sum_not_mean
import torch.nn.functional as F


def eps_loss(model, x0, t, noise, alpha_bar):
    """Held-out: mse_loss with reduction="sum"."""
    a = alpha_bar.gather(0, t).to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
    return F.mse_loss(model(a.sqrt() * x0 + (1 - a).sqrt() * noise, t), noise, reduction="sum")
