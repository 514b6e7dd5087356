# task: sample_loop
# expect: repeated_model_calls
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: right numbers, but ε_θ is computed twice per step (once to look at, once to use)."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in reversed(range(len(betas))):
        t_batch = torch.full((x_t.shape[0],), t, dtype=torch.long)
        _ = model(x_t, t_batch).abs().max()
        eps_pred = model(x_t, t_batch)
        mean = (x_t - betas[t] / (1 - alpha_bar[t]).sqrt() * eps_pred) / alphas[t].sqrt()
        x_t = mean + betas[t].sqrt() * noises[t] if t > 0 else mean
    return x_t
