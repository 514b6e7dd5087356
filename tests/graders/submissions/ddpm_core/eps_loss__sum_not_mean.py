# task: eps_loss
# expect: sum_not_mean
def eps_loss(model, x0, t, noise, alpha_bar):
    """Planted mistake: sums the squared error over dimensions, then averages over the batch."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    return ((noise - model(x_t, t)) ** 2).flatten(1).sum(1).mean()
