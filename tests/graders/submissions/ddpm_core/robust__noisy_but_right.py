# task: q_sample
# expect-status: passed
import sys
import warnings


def q_sample(x0, t, noise, alpha_bar):
    """Right numbers, while printing, writing to stderr and warning: none of it may cost points."""
    print("debug: shapes", x0.shape, t.shape)
    print("debug on stderr", file=sys.stderr)
    warnings.warn("a harmless warning")
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
