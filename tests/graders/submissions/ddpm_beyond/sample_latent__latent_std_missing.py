# task: sample_latent
# expect: latent_std_missing
import torch


def _ddim(model, z_T, alpha_bar, steps, last_prev=-1, clip=False):
    """DDIM with η = 0 over the trailing timesteps; the last step goes to last_prev."""
    T = len(alpha_bar)
    taus = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    ab_all = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])
    z = z_T
    for i in reversed(range(steps)):
        t, t_prev = taus[i], taus[i - 1] if i > 0 else last_prev
        if t_prev >= t:
            break
        ab, ab_prev = float(ab_all[t + 1]), float(ab_all[t_prev + 1])
        eps_pred = model(z, torch.full((z.shape[0],), t, dtype=torch.long))
        z0_pred = (z - (1 - ab) ** 0.5 * eps_pred) / ab ** 0.5
        if clip:
            z0_pred = z0_pred.clamp(-1, 1)
        z = ab_prev ** 0.5 * z0_pred + (1 - ab_prev) ** 0.5 * eps_pred
    return z


def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    """Planted mistake: adds z_mean but never scales by z_std."""
    return decoder(_ddim(model, z_T, alpha_bar, steps) + z_mean)
