# task: kl_term
# expect: kl_reversed
import torch


def kl_term(model, x0, x_t, t, betas):
    """Planted mistake: computes KL(p_θ ‖ q) instead of KL(q ‖ p_θ)."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))

    def at(arr):
        return arr[t].reshape(shape).to(x0.dtype)

    mean_q = at(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)) * x0 + at(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
    var_q = at(betas * (1 - alpha_bar_prev) / (1 - alpha_bar))
    eps_pred = model(x_t, t)
    var_p = at(betas)
    mean_p = (x_t - var_p / at((1 - alpha_bar).sqrt()) * eps_pred) / at(alphas.sqrt())
    kl = 0.5 * (torch.log(var_q / var_p) + var_p / var_q + (mean_q - mean_p) ** 2 / var_q - 1)
    return kl.flatten(1).sum(1)
