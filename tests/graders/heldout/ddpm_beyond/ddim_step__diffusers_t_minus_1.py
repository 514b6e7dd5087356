# task: ddim_step
# expect: ddim_t_minus_1
import torch


def ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noise):
    """Held-out: a step whose previous ᾱ is read at t − 1, the full chain's neighbour, ignoring t_prev."""
    shape = (-1,) + (1,) * (x_t.dim() - 1)
    table = torch.cat([alpha_bar.new_ones(1), alpha_bar])
    alpha_prod_t = alpha_bar[t].view(shape).to(x_t.dtype)
    alpha_prod_t_prev = table[t].view(shape).to(x_t.dtype)  # table[t] = ᾱ at t − 1
    eps = model(x_t, t)
    pred_x0 = (x_t - (1 - alpha_prod_t) ** 0.5 * eps) / alpha_prod_t ** 0.5
    variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
    std_dev_t = eta * variance ** 0.5
    direction = (1 - alpha_prod_t_prev - std_dev_t ** 2) ** 0.5 * eps
    return alpha_prod_t_prev ** 0.5 * pred_x0 + direction + std_dev_t * noise
