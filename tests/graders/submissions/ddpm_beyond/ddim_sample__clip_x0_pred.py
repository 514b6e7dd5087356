# task: ddim_sample
# expect: clip_x0_pred
import torch


def _step(model, x_t, t, t_prev, ab_all, eta, z, clip=False):
    """One DDIM step for ints t, t_prev; ab_all[t + 1] is ᾱ at t, 1 at t = −1."""
    ab, ab_prev = float(ab_all[t + 1]), float(ab_all[t_prev + 1])
    eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
    x0_pred = (x_t - (1 - ab) ** 0.5 * eps_pred) / ab ** 0.5
    if clip:
        x0_pred = x0_pred.clamp(-1, 1)
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)) ** 0.5
    return ab_prev ** 0.5 * x0_pred + (1 - ab_prev - sigma ** 2) ** 0.5 * eps_pred + sigma * z


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Planted mistake: clips x̂0 to [−1, 1] inside the loop."""
    T = len(alpha_bar)
    taus = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    ab_all = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])
    x_t = x_T
    for i in reversed(range(steps)):
        x_t = _step(model, x_t, taus[i], taus[i - 1] if i > 0 else -1, ab_all, eta, noises[i], clip=True)
    return x_t
