# task: kl_term
# expect: kl_bits_per_dim
import numpy as np
import torch


def kl_term(model, x0, x_t, t, betas):
    """Held-out: improved-diffusion's _vb_terms_bpd as published: mean_flat(kl) / log(2)."""
    alphas = 1.0 - betas
    ac = torch.cumprod(alphas, 0)
    ac_prev = torch.cat([torch.ones(1, dtype=betas.dtype), ac[:-1]])
    post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
    shape = (-1,) + (1,) * (x0.dim() - 1)
    g = lambda a: a[t].reshape(shape).to(x0.dtype)  # noqa: E731
    true_mean = g(betas * ac_prev.sqrt() / (1 - ac)) * x0 + g((1 - ac_prev) * alphas.sqrt() / (1 - ac)) * x_t
    true_logvar = torch.log(g(post_var))
    eps = model(x_t, t)
    model_mean = (x_t - g(betas / (1 - ac).sqrt()) * eps) / g(alphas.sqrt())
    model_logvar = torch.log(g(betas))
    kl = 0.5 * (-1.0 + model_logvar - true_logvar + torch.exp(true_logvar - model_logvar)
                + (true_mean - model_mean) ** 2 * torch.exp(-model_logvar))
    return kl.mean(dim=list(range(1, kl.dim()))) / np.log(2.0)
