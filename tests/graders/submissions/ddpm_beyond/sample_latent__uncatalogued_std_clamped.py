# task: sample_latent
# expect-status: wrong
# No known mistake: un-standardises with z_std clamped to at most 1, which no catalogue entry describes.
import torch


def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    """Planted un-catalogued mistake: z_std.clamp(max=1) as the scale."""
    T = len(alpha_bar)
    taus = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    ab_all = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])
    z = z_T
    for i in reversed(range(steps)):
        t, t_prev = taus[i], taus[i - 1] if i > 0 else -1
        ab, ab_prev = float(ab_all[t + 1]), float(ab_all[t_prev + 1])
        eps_pred = model(z, torch.full((z.shape[0],), t, dtype=torch.long))
        z0_pred = (z - (1 - ab) ** 0.5 * eps_pred) / ab ** 0.5
        z = ab_prev ** 0.5 * z0_pred + (1 - ab_prev) ** 0.5 * eps_pred
    return decoder(z_std.clamp(max=1) * z + z_mean)
