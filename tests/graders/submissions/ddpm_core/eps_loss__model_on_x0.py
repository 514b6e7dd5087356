# task: eps_loss
# expect: model_on_x0
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: asks the model for the noise in the clean x0."""
    return ((noise - model(x0, t)) ** 2).mean()
