# task: q_sample
# expect: unscaled_x0
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: variance exploding, x0 + √(1 − ᾱ_t)·ε."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return x0 + (1 - ab).sqrt() * noise
