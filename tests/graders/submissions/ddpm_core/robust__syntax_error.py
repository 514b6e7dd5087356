# task: q_sample
# expect-status: syntax_error
# A syntax error: the cell fails, q_sample stays undefined, and only q_sample's tests fail.
def q_sample(x0, t, noise, alpha_bar)
    return x0
