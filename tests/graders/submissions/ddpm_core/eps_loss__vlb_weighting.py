# task: eps_loss
# expect: vlb_weighting
import torch


def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: weights each example by eq. 12's β_t²/(2σ_t²·α_t·(1 − ᾱ_t)), σ_t² = β_t."""
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])
    alphas = alpha_bar / alpha_bar_prev
    betas = 1 - alphas
    weight = (betas ** 2 / (2 * betas * alphas * (1 - alpha_bar)))[t].to(x0.dtype)  # (B,)
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
    per_example = ((noise - model(x_t, t)) ** 2).flatten(1).mean(1)
    return (weight * per_example).mean()
