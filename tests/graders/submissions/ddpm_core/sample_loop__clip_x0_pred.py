# task: sample_loop
# expect: clip_x0_pred
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: clips x̂0 to [−1, 1] at every step (improved-diffusion's clip_denoised)."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=betas.dtype), alpha_bar[:-1]])
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        x0_pred = ((x_t - float((1 - alpha_bar[t]).sqrt()) * eps_pred) / float(alpha_bar[t].sqrt())).clamp(-1, 1)
        mean = (float(alpha_bar_prev[t].sqrt() * betas[t] / (1 - alpha_bar[t])) * x0_pred
                + float(alphas[t].sqrt() * (1 - alpha_bar_prev[t]) / (1 - alpha_bar[t])) * x_t)
        x_t = mean + float(betas[t].sqrt()) * noises[t] if t > 0 else mean
    return x_t
