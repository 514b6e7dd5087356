# task: eps_loss
# expect-status: bad_output
import math


def eps_loss(model, x0, t, noise, alpha_bar):
    """Returns NaN."""
    return (noise * math.nan).mean()
