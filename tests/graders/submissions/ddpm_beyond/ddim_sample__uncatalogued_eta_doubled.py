# task: ddim_sample
# expect-status: wrong
# No known mistake: σ with η counted twice (η²·√(…)), which no catalogue entry describes.
import torch


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Planted un-catalogued mistake: σ = η²·√((1 − ᾱ_prev)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_prev))."""
    T = len(alpha_bar)
    taus = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    ab_all = torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar])
    x_t = x_T
    for i in reversed(range(steps)):
        t, t_prev = taus[i], taus[i - 1] if i > 0 else -1
        ab, ab_prev = float(ab_all[t + 1]), float(ab_all[t_prev + 1])
        eps_pred = model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        x0_pred = (x_t - (1 - ab) ** 0.5 * eps_pred) / ab ** 0.5
        sigma = eta ** 2 * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)) ** 0.5
        x_t = ab_prev ** 0.5 * x0_pred + (1 - ab_prev - sigma ** 2) ** 0.5 * eps_pred + sigma * noises[i]
    return x_t
