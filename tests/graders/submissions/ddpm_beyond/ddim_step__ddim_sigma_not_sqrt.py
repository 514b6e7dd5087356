# task: ddim_step
# expect: ddim_sigma_not_sqrt
import torch


def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Planted mistake: drops σ's square root."""
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].reshape(shape).to(x_t.dtype)
    ab_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])[t_prev + 1].reshape(shape).to(x_t.dtype)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred + sigma * noise
