"""Do the shipped 2-D checkpoints sample their data set? Sliced Wasserstein distance to held-out points, against
a Gaussian-noise baseline and the same network with its weights shuffled; the share of samples on the data's
support (k-NN precision, and for the checkerboard the exact share on its black squares)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import wasserstein_distance

from reference import load_checkpoint, make_toy, sample_ddpm
from reference.data import TOY_DATASETS
from reference.evaluate import sliced_wasserstein, support_precision

N = 2000
HELDOUT_SEED = 2  # neither the training set (seed 0) nor the manifest's evaluation set (seed 1)
# Measured (2000 DDPM samples, seed 1, vs make_toy(seed=2)): trained 0.017–0.041; two independent true samples
# 0.016–0.029; N(0, I) 0.146–0.244; shuffled weights > 30 000 (sampling diverges).
MAX_DISTANCE = 0.06
MIN_BASELINE_DISTANCE = 0.12
# Support precision (k = 3) of 2000 samples against make_toy(seed=2), measured: two independent true samples
# 0.96–0.99, N(0, I) 0.15–0.51; before its retraining the checkerboard model reached 0.84 (78 % on black squares).
MIN_PRECISION = 0.90
WEIGHTS = Path(__file__).resolve().parents[2] / "reference" / "weights"


def black_square_share(x: torch.Tensor) -> float:
    """The share of points on the checkerboard's black squares (reference/data.py: a 4×4 board on [−2, 2]²
    scaled by √3/2, black where ⌊u⌋ + ⌊v⌋ is even)."""
    u = x.double() / (math.sqrt(3) / 2)
    return float(((torch.floor(u[:, 0]) + torch.floor(u[:, 1])) % 2 == 0).double().mean())


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
    precision = support_precision(samples, heldout)
    assert precision >= MIN_PRECISION, f"{name}: {precision:.3f} of samples on the data's support"
    if name == "checkerboard":
        assert black_square_share(samples) >= MIN_PRECISION, f"on black squares: {black_square_share(samples):.3f}"
    assert gaussian > MIN_BASELINE_DISTANCE, f"{name}: Gaussian baseline {gaussian:.4f}"
    assert shuffled_distance > MIN_BASELINE_DISTANCE, f"{name}: shuffled weights {shuffled_distance:.4f}"


def test_support_precision_of_known_clouds():
    """Is the precision 1 for the data itself, 0 far away (and for NaN), and about 1/4 for samples uniform on a
    square four times the data's, uniform on the unit square?"""
    g = torch.Generator().manual_seed(0)
    data = torch.rand(3000, 2, generator=g, dtype=torch.float64)
    assert support_precision(data, data) == 1.0
    assert support_precision(data + 10, data) == 0.0
    assert support_precision(torch.full((5, 2), float("nan")), data) == 0.0
    wide = 2 * torch.rand(3000, 2, generator=g, dtype=torch.float64)
    assert support_precision(wide, data) == pytest.approx(0.25, abs=0.03)
    with pytest.raises(ValueError, match="k=0"):
        support_precision(data, data, k=0)


def test_black_square_share_of_the_data():
    """Does the checkerboard's own data lie wholly on black squares, and its mirror image wholly off them?"""
    x = make_toy("checkerboard", 2000, seed=3)
    assert black_square_share(x) == 1.0
    assert black_square_share(x * torch.tensor([-1.0, 1.0])) == 0.0


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_manifest_records_support_precision(name):
    """Does every toy manifest record its samples' support precision next to the sliced Wasserstein distance,
    above MIN_PRECISION and above its Gaussian baseline?"""
    quality = json.loads((WEIGHTS / f"{name}.json").read_text())["quality"]
    assert quality["support_precision"] >= MIN_PRECISION, quality
    assert quality["support_precision_gaussian"] < quality["support_precision"], quality
