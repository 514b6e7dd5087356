# task: q_sample
# expect-status: bad_output
def q_sample(x0, t, noise, alpha_bar):
    """Right numbers, flattened to (B, D)."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return (ab.sqrt() * x0 + (1 - ab).sqrt() * noise).flatten(1)
