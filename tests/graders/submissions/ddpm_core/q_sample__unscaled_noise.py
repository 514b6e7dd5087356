# task: q_sample
# expect: unscaled_noise
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: √ᾱ_t·x0 + ε, the noise unscaled."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    return ab.sqrt() * x0 + noise
