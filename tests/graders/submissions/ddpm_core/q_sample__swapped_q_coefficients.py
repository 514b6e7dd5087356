# task: q_sample
# expect: swapped_q_coefficients
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: √(1 − ᾱ_t)·x0 + √ᾱ_t·ε."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return (1 - ab).sqrt() * x0 + ab.sqrt() * noise
