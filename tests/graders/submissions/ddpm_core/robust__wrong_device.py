# task: eps_loss
# expect-status: bad_output
def eps_loss(model, x0, t, noise, alpha_bar):
    """Right number, returned on the 'meta' device."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return ((noise - model(x_t, t)) ** 2).mean().to("meta")
