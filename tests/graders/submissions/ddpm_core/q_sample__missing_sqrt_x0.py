# task: q_sample
# expect: missing_sqrt_x0
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: the root is missing on the data's coefficient only, ᾱ_t·x0 + √(1 − ᾱ_t)·ε."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab.to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
