# task: q_sample
# expect: broadcast
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: the (B,) coefficient is not reshaped, so it broadcasts against x0's last axis."""
    ab = alpha_bar[t].to(x0.dtype)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
