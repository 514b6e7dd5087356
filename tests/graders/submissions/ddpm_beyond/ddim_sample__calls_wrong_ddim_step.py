# task: ddim_sample
# expect: calls_wrong_ddim_step
# upstream-from: ddim_step__ddim_sigma_missing_ratio
import torch


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Right in itself: the trailing loop over the student's own ddim_step (the planted upstream-from file, wrong)."""
    taus = [round(j * len(alpha_bar) / steps) - 1 for j in range(1, steps + 1)]
    B = x_T.shape[0]
    x_t = x_T
    for i in reversed(range(steps)):
        t = torch.full((B,), taus[i], dtype=torch.long)
        t_prev = torch.full((B,), taus[i - 1] if i > 0 else -1, dtype=torch.long)
        x_t = ddim_step(model, x_t, t, t_prev, alpha_bar, eta, noises[i])
    return x_t
