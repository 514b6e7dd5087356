# task: ddim_sample
# expect: leading_spacing
import torch


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Planted mistake: uses the leading timesteps 0, k, 2k, …."""
    T = len(alpha_bar)
    taus = [i * (T // steps) for i in range(steps)]
    ab_all = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])  # ab_all[t + 1] = ᾱ at t, 1 at t = −1
    x_t = x_T
    for i in reversed(range(steps)):
        t, t_prev = taus[i], taus[i - 1] if i > 0 else -1
        ab, ab_prev = float(ab_all[t + 1]), float(ab_all[t_prev + 1])
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        x0_pred = (x_t - (1 - ab) ** 0.5 * eps_pred) / ab ** 0.5
        sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)) ** 0.5
        x_t = ab_prev ** 0.5 * x0_pred + (1 - ab_prev - sigma ** 2) ** 0.5 * eps_pred + sigma * noises[i]
    return x_t
