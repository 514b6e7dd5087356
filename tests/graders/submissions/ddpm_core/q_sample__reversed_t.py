# task: q_sample
# expect: reversed_t
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: counts t from the noisy end, alpha_bar[T − 1 − t]."""
    ab = alpha_bar[len(alpha_bar) - 1 - t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
