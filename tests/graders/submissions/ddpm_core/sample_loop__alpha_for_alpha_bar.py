# task: sample_loop
# expect: alpha_for_alpha_bar
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: ᾱ taken as α = 1 − β, the cumulative product forgotten."""
    alphas = 1 - betas
    alpha_bar = alphas
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - betas[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t] if t > 0 else mean
    return x_t
