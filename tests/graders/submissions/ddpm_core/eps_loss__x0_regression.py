# task: eps_loss
# expect: x0_regression
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: regresses the model's output onto x0 instead of the noise."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return ((x0 - model(x_t, t)) ** 2).mean()
