# task: sample_loop
# expect: beta_for_alpha_bar
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: β_t/√(1 − β_t) where β_t/√(1 − ᾱ_t) belongs."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - betas[t] / (1 - betas[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t] if t > 0 else mean
    return x_t
