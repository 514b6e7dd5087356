# task: eps_loss
# expect: rmse
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: the root of the mean squared error."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
    return ((noise - model(x_t, t)) ** 2).mean().sqrt()
