# task: kl_term
# expect: kl_q_variance_beta
import torch


def kl_term(model, x0, x_t, t, betas):
    """Planted mistake: gives q the variance β_t, where q(x_{t-1} | x_t, x_0) has β̃_t (all four terms written)."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))

    def at(arr):
        return arr[t].reshape(shape).to(x0.dtype)

    mean_q = at(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)) * x0 + at(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
    var_q = at(betas)
    var_p = at(betas)
    mean_p = (x_t - at(betas / (1 - alpha_bar).sqrt()) * model(x_t, t)) / at(alphas.sqrt())
    kl = 0.5 * (torch.log(var_p / var_q) + var_q / var_p + (mean_q - mean_p) ** 2 / var_p - 1)
    return kl.flatten(1).sum(1)
