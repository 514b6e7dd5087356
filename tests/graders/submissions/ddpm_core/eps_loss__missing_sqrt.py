# task: eps_loss
# expect: missing_sqrt
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: noises x0 with ᾱ_t and 1 − ᾱ_t, without square roots."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab * x0 + (1 - ab) * noise
    return ((noise - model(x_t, t)) ** 2).mean()
