# task: sample_loop
# expect: final_clip
import torch


def sample_loop(model, x_T, betas, noises):
    """Planted mistake: clamps the finished sample to [−1, 1], as image pipelines do."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    x_t = x_T
    for t in reversed(range(len(betas))):
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - float(betas[t] / (1 - alpha_bar[t]).sqrt()) * eps_pred) / float(alphas[t].sqrt())
        x_t = mean + float(betas[t].sqrt()) * noises[t] if t > 0 else mean
    return x_t.clamp(-1, 1)
