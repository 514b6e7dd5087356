# task: sample_loop
# expect: final_clip
import torch


def sample_loop(model, x_T, betas, noises):
    """Held-out: μ from x̂0 and the posterior (eqs. 15 and 7), the finished sample clamped for display."""
    alphas = 1 - betas
    ab = torch.cumprod(alphas, 0)
    ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
    x = x_T
    for t in reversed(range(len(betas))):
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x0_hat = (x - (1 - ab[t]).sqrt().item() * eps) / ab[t].sqrt().item()
        mean = (ab_prev[t].sqrt() * betas[t] / (1 - ab[t])).item() * x0_hat \
            + (alphas[t].sqrt() * (1 - ab_prev[t]) / (1 - ab[t])).item() * x
        x = mean + betas[t].sqrt().item() * noises[t] if t > 0 else mean
    return torch.clamp(x, -1.0, 1.0)
