# task: eps_loss
# expect-status: wrong
# No known mistake: the square of the mean error instead of the mean of the squares.
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted un-catalogued mistake: ((ε − ε_θ).mean())²."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
    return (noise - model(x_t, t)).mean() ** 2
