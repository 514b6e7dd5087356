# task: sample_loop
# expect: noise_at_last_step
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: adds σ_t·z at t = 0 as well."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - betas[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t]
    return x_t
