# task: ddim_sample
# expect: ddim_prev_by_subtraction
import numpy as np
import torch


def ddim_sample(model, x_T, alpha_bar, steps, eta, noises):
    """Held-out: diffusers' DDIMScheduler with timestep_spacing="trailing": prev_timestep = t − T // steps."""
    T = len(alpha_bar)
    timesteps = (np.round(np.arange(T, 0, -T / steps)) - 1).astype(np.int64)  # descending trailing τ
    sample = x_T
    for i, t in enumerate(timesteps.tolist()):
        prev = t - T // steps
        a_t = alpha_bar[t].item()
        a_prev = alpha_bar[prev].item() if prev >= 0 else 1.0
        eps = model(sample, torch.full((sample.shape[0],), t, dtype=torch.long))
        x0 = (sample - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5
        std = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)) ** 0.5
        sample = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * eps + std * noises[steps - 1 - i]
    return sample
