# task: posterior_mean
# expect-status: timeout
def posterior_mean(x0, x_t, t, betas):
    """An infinite loop inside the function: the check's time limit stops it."""
    n = 0
    while True:
        n += 1
