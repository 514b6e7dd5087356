# task: posterior_mean
# expect-status: wrong
# unit: skip (an infinite loop at the top of the cell: the worker stops that statement after 10 s and runs the next)
while True:
    pass


def posterior_mean(x0, x_t, t, betas):
    return x_t
