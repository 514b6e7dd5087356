# task: sample_loop
# expect-status: exit
import os


def sample_loop(model, x_T, betas, noises):
    """Calls os._exit(), which would kill the kernel outright."""
    os._exit(3)
