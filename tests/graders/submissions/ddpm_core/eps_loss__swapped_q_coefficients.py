# task: eps_loss
# expect: swapped_q_coefficients
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: noises x0 with √(1 − ᾱ_t)·x0 + √ᾱ_t·ε."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = (1 - ab).sqrt().to(x0.dtype) * x0 + ab.sqrt().to(x0.dtype) * noise
    return ((noise - model(x_t, t)) ** 2).mean()
