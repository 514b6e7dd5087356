# task: q_sample
# expect: missing_sqrt_noise
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: the noise is scaled by the variance 1 − ᾱ_t, not its root."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).to(x0.dtype) * noise
