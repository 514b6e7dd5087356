# task: q_sample
# expect-status: integrity
from reference import extract


def q_sample(x0, t, noise, alpha_bar):
    """Right numbers, but gathers with the reference's extract."""
    ab = extract(alpha_bar, t, x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
