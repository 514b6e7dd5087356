# task: q_sample
# expect-status: wrong
# No known mistake: one ᾱ for the whole batch (the mean over its t), which no catalogue entry describes.
def q_sample(x0, t, noise, alpha_bar):
    """Planted un-catalogued mistake: ᾱ averaged over the batch's timesteps."""
    ab = alpha_bar[t].mean().to(x0.dtype)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
