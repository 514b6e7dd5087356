# task: q_sample
# expect: missing_sqrt_x0
import numpy as np
import torch


def q_sample(x0, t, noise, alpha_bar):
    """Held-out: a per-example NumPy loop that forgets the root on the x0 term only."""
    ab = alpha_bar.numpy()
    out = np.empty(tuple(x0.shape))
    for i, ti in enumerate(t.tolist()):
        out[i] = ab[ti] * x0[i].numpy() + np.sqrt(1 - ab[ti]) * noise[i].numpy()
    return torch.from_numpy(out).to(x0.dtype)
