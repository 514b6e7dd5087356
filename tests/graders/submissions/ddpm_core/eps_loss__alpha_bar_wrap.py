# task: eps_loss
# expect: alpha_bar_wrap
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: noises x0 with alpha_bar[t - 1], which wraps round to ᾱ_{T-1} at t = 0."""
    ab = alpha_bar[t - 1].reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
    return ((noise - model(x_t, t)) ** 2).mean()
