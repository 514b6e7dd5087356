# task: eps_loss
# expect: calls_wrong_q_sample
# upstream-from: q_sample__missing_sqrt_x0
def eps_loss(model, x0, t, noise, alpha_bar):
    """Right in itself: x_t from the student's own q_sample (the planted upstream-from file, wrong), then eq. 14."""
    x_t = q_sample(x0, t, noise, alpha_bar)
    return ((noise - model(x_t, t)) ** 2).mean()
