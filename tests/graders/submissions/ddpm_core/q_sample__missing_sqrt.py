# task: q_sample
# expect: missing_sqrt
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: ᾱ_t·x0 + (1 − ᾱ_t)·ε, variances where standard deviations belong."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab * x0 + (1 - ab) * noise
