# task: ddim_sample
# expect: ddim_last_to_alpha_bar_0
import torch


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Held-out: set_alpha_to_one=False, so the last step lands on ᾱ_0."""
    T = len(alpha_bar)
    taus = [round(j * T / steps) - 1 for j in range(1, steps + 1)]
    final_alpha_cumprod = alpha_bar[0]
    x = x_T
    for i in range(steps - 1, -1, -1):
        t = taus[i]
        a_t = alpha_bar[t]
        a_prev = alpha_bar[taus[i - 1]] if i > 0 else final_alpha_cumprod
        eps = model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x0 = (x - (1 - a_t).sqrt().to(x.dtype) * eps) / a_t.sqrt().to(x.dtype)
        sigma = (eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()).to(x.dtype)
        x = a_prev.sqrt().to(x.dtype) * x0 + (1 - a_prev - sigma ** 2).sqrt().to(x.dtype) * eps + sigma * noises[i]
    return x
