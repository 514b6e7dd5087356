# task: sample_loop
# expect: model_t_plus_1
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: calls the model with the paper's t = t + 1."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t + 1, dtype=torch.long))
        mean = (x_t - betas[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t] if t > 0 else mean
    return x_t
