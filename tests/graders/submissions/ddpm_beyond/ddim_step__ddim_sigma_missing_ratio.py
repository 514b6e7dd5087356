# task: ddim_step
# expect: ddim_sigma_missing_ratio
import torch


def _pieces(model, x_t, t, t_prev, alpha_bar):
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].reshape(shape).to(x_t.dtype)
    ab_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])[t_prev + 1].reshape(shape).to(x_t.dtype)
    eps_pred = model(x_t, t)
    return ab, ab_prev, eps_pred, (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()


def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Planted mistake: σ = η·√(1 − ᾱ_t/ᾱ_prev), without eq. 16's first factor."""
    ab, ab_prev, eps_pred, x0_pred = _pieces(model, x_t, t, t_prev, alpha_bar)
    sigma = eta * (1 - ab / ab_prev).sqrt()
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps_pred + sigma * noise
