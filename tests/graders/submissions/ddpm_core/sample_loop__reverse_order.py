# task: sample_loop
# expect: reverse_order
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: runs the loop forwards, t = 0 … T−1."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in range(len(betas)):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - betas[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t] if t > 0 else mean
    return x_t
