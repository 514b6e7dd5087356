# task: q_sample
# expect: one_minus_sqrt
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: the noise coefficient is 1 − √ᾱ_t."""
    sqrt_ab = alpha_bar[t].sqrt().reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return sqrt_ab * x0 + (1 - sqrt_ab) * noise
