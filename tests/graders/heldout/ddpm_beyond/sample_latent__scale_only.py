# task: sample_latent
# expect: latent_mean_missing
import torch


def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    """Held-out: undoes the scaling but not the shift."""
    T = len(alpha_bar)
    z = z_T
    for j in range(steps, 0, -1):
        t, t_prev = round(j * T / steps) - 1, round((j - 1) * T / steps) - 1
        a_t = alpha_bar[t].item()
        a_prev = alpha_bar[t_prev].item() if t_prev >= 0 else 1.0
        eps = model(z, torch.full((z.shape[0],), t, dtype=torch.long))
        z = a_prev ** 0.5 * (z - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5 + (1 - a_prev) ** 0.5 * eps
    return decoder(z * z_std)
