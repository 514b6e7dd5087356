# task: eps_loss
# expect: missing_sqrt_x0
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: noises x0 with ᾱ_t·x0 + √(1 − ᾱ_t)·ε."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1)).to(x0.dtype)
    x_t = ab * x0 + (1 - ab).sqrt() * noise
    return ((noise - model(x_t, t)) ** 2).mean()
