# task: eps_loss
# expect: loss_half
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: ½ of the mean squared error, as in a Gaussian log-likelihood."""
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
    return 0.5 * ((noise - model(x_t, t)) ** 2).mean()
