# task: q_sample
# expect: alpha_bar_wrap
def q_sample(x0, t, noise, alpha_bar):
    """Planted mistake: alpha_bar[t - 1], which wraps round to ᾱ_{T-1} at t = 0."""
    ab = alpha_bar[t - 1].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
