# task: ddim_step
# expect: t_prev_wrap
import torch


def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Planted mistake: reads alpha_bar[t_prev], which wraps round at t_prev = −1."""
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab = alpha_bar[t].reshape(shape).to(x_t.dtype)
    ab_prev = alpha_bar[t_prev].reshape(shape).to(x_t.dtype)
    eps_pred = model(x_t, t)
    x0_pred = (x_t - (1 - ab).sqrt() * eps_pred) / ab.sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred + sigma * noise
