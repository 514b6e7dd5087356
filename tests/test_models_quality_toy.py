"""Do the shipped 2-D checkpoints sample their data set? Sliced Wasserstein distance to held-out points, against
a Gaussian-noise baseline and the same network with its weights shuffled."""
import numpy as np
import pytest
import torch
from scipy.stats import wasserstein_distance

from reference import load_checkpoint, make_toy, sample_ddpm
from reference.data import TOY_DATASETS
from reference.evaluate import sliced_wasserstein

N = 2000
HELDOUT_SEED = 2  # neither the training set (seed 0) nor the manifest's evaluation set (seed 1)
# Measured (2000 DDPM samples, seed 1, vs make_toy(seed=2)): trained 0.017–0.041; two independent true samples
# 0.016–0.029; N(0, I) 0.146–0.244; shuffled weights > 30 000 (sampling diverges).
MAX_DISTANCE = 0.06
MIN_BASELINE_DISTANCE = 0.12


def _shuffled(model, seed=0):
    """The same architecture, each parameter tensor's entries randomly permuted: the weights' values, no structure."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.flatten()[torch.randperm(p.numel(), generator=generator)].reshape(p.shape))
    return model


def test_sliced_wasserstein_equals_scipy_in_1d():
    """In one dimension every projection is ±1, so does the distance equal scipy's W_1?"""
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 500), rng.normal(0.3, 1.5, 500)
    ours = sliced_wasserstein(torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None], projections=8)
    assert ours == pytest.approx(wasserstein_distance(x, y), rel=1e-9)


def test_sliced_wasserstein_of_a_shift():
    """Is the distance between a cloud and its copy shifted by d equal to the mean |⟨d, θ⟩| = |d|·2/π in 2-D?"""
    x = make_toy("moons", 500, seed=0).double()  # the sorted projections all shift by ⟨d, θ⟩: any size will do
    shift = torch.tensor([0.3, 0.4], dtype=torch.float64)  # |d| = 0.5
    assert sliced_wasserstein(x, x + shift, projections=4096) == pytest.approx(0.5 * 2 / np.pi, rel=0.03)


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_samples_close_to_heldout_far_from_baselines(name):
    """Are 2000 DDPM samples within MAX_DISTANCE of held-out data, while noise and shuffled weights are not?"""
    ckpt = load_checkpoint(name, "cpu")
    heldout = make_toy(name, N, seed=HELDOUT_SEED)
    samples = sample_ddpm(ckpt.model, (N, 2), ckpt.schedule, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(samples).all()
    distance = sliced_wasserstein(samples, heldout)
    gaussian = sliced_wasserstein(torch.randn(N, 2, generator=torch.Generator().manual_seed(1)), heldout)
    shuffled = sample_ddpm(_shuffled(ckpt.model), (N, 2), ckpt.schedule, generator=torch.Generator().manual_seed(1))
    shuffled_distance = sliced_wasserstein(torch.nan_to_num(shuffled, nan=1e6), heldout)
    assert distance < MAX_DISTANCE, f"{name}: trained {distance:.4f}"
    assert gaussian > MIN_BASELINE_DISTANCE, f"{name}: Gaussian baseline {gaussian:.4f}"
    assert shuffled_distance > MIN_BASELINE_DISTANCE, f"{name}: shuffled weights {shuffled_distance:.4f}"
