# task: posterior_mean
# expect-status: missing
# unit: skip (an infinite loop at the top of the cell: only nbgrader's cell timeout can stop it)
while True:
    pass


def posterior_mean(x0, x_t, t, betas):
    return x_t
