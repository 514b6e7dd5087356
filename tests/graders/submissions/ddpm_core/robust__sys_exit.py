# task: sample_loop
# expect-status: exit
import sys


def sample_loop(model, x_T, betas, noises):
    """Calls sys.exit()."""
    sys.exit("giving up")
