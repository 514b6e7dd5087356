# task: kl_term
# expect: kl_q_variance_beta
import torch


def kl_term(model, x0, x_t, t, betas):
    """Planted mistake: keeps only the mean term of the Gaussian KL (the same numbers as q's variance taken as β_t)."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))

    def at(arr):
        return arr[t].reshape(shape).to(x0.dtype)

    mean_q = at(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar)) * x0 + at(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
    eps_pred = model(x_t, t)
    var_p = at(betas)
    mean_p = (x_t - var_p / at((1 - alpha_bar).sqrt()) * eps_pred) / at(alphas.sqrt())
    kl = 0.5 * (mean_q - mean_p) ** 2 / var_p
    return kl.flatten(1).sum(1)
