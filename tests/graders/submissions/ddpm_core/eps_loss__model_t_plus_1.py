# task: eps_loss
# expect: model_t_plus_1
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: calls the model with the paper's t = t + 1."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return ((noise - model(x_t, t + 1)) ** 2).mean()
