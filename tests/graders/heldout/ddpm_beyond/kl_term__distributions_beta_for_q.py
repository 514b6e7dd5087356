# task: kl_term
# expect: kl_q_variance_beta
import torch
from torch.distributions import Normal, kl_divergence


def kl_term(model, x0, x_t, t, betas):
    """Held-out: torch.distributions, with q's scale taken as √β_t."""
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([torch.ones(1, dtype=betas.dtype), ab[:-1]])
    shape = (-1,) + (1,) * (x0.dim() - 1)
    g = lambda a: a[t].reshape(shape).to(x0.dtype)  # noqa: E731
    mu_q = g(ab_prev.sqrt() * betas / (1 - ab)) * x0 + g(alphas.sqrt() * (1 - ab_prev) / (1 - ab)) * x_t
    mu_p = (x_t - g(betas / (1 - ab).sqrt()) * model(x_t, t)) / g(alphas.sqrt())
    q = Normal(mu_q, g(betas.sqrt()).expand_as(mu_q))
    p = Normal(mu_p, g(betas.sqrt()).expand_as(mu_p))
    return kl_divergence(q, p).flatten(1).sum(1)
