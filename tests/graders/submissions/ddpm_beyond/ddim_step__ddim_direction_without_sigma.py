# task: ddim_step
# expect: ddim_direction_without_sigma
import torch


def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Planted mistake: keeps √(1 − ᾱ_prev) in the direction term when η > 0."""
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].reshape(shape).to(x_t.dtype)
    ab_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])[t_prev + 1].reshape(shape).to(x_t.dtype)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev).sqrt() * eps_pred + sigma * noise
