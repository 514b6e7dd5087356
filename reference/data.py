"""The lab's data x0: four 2-D toy sets drawn from a seed, and scikit-learn's 8×8 digits on the 8-bit grid.

Toy sets: `make_toy(name, n, seed)` -> (n, 2) float32, each coordinate scaled by fixed constants to roughly
zero mean and unit variance, every point drawn i.i.d. (so a larger n extends, never reshapes, the set).

Digits: `load_digits_split()` -> 1797 images (N, 1, 8, 8) in [−1, 1]. The raw grey levels v are 0…16; they are
moved to the 8-bit grid, v8 = round(v / 16 · 255), then x0 = v8 / 127.5 − 1, so every pixel lies on one of the
256 bins that the discretized decoder of Ho et al. (eq. 13, `vlb_terms(..., decoder="discrete")`) expects and
bits/dim are comparable with 8-bit image benchmarks. The train/test split is fixed (stratified, 20 % test).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

TOY_DATASETS = ("moons", "swiss_roll", "8gaussians", "checkerboard")
TOY_TRAIN_N, TOY_TRAIN_SEED = 20000, 0  # the fixed training set of every toy checkpoint
TOY_HELDOUT_N, TOY_HELDOUT_SEED = 2000, 1  # held-out points for bits/dim and the sample distance
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0


def _labelled_moons(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, noise σ = 0.05, each point on either moon with probability ½; the label is
    the moon: 0 for the upper one (cos θ, sin θ), 1 for the lower one (1 − cos θ, ½ − sin θ)."""
    theta = rng.uniform(0, math.pi, n)
    inner = rng.random(n) < 0.5
    x = np.where(inner, 1 - np.cos(theta), np.cos(theta))
    y = np.where(inner, 0.5 - np.sin(theta), np.sin(theta))
    points = np.stack([x, y], 1) + 0.05 * rng.standard_normal((n, 2))
    # mean (½, ¼), std (√(¾ + σ²), √(0.244 + σ²)): from E cos θ = 0, E sin θ = 2/π for θ ~ U[0, π]
    return (points - [0.5, 0.25]) / [0.868, 0.497], inner.astype(np.int64)


def _moons(rng: np.random.Generator, n: int) -> np.ndarray:
    return _labelled_moons(rng, n)[0]


def _swiss_roll(rng: np.random.Generator, n: int) -> np.ndarray:
    """The 2-D swiss roll θ·(cos θ, sin θ), θ ~ 1.5π(1 + 2u), u ~ U[0, 1], noise σ = 0.25."""
    theta = 1.5 * math.pi * (1 + 2 * rng.random(n))
    points = theta[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1) + 0.25 * rng.standard_normal((n, 2))
    return (points - [2.0, 0.2]) / 6.8  # mean and std measured on 200 000 points


def _eight_gaussians(rng: np.random.Generator, n: int) -> np.ndarray:
    """Eight Gaussians, σ = 0.1, on a circle of radius r = √(2(1 − σ²)): the variance r²/2 + σ² is then 1."""
    sigma = 0.1
    radius = math.sqrt(2 * (1 - sigma**2))
    angle = rng.integers(0, 8, n) * (2 * math.pi / 8)
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return centres + sigma * rng.standard_normal((n, 2))


def _checkerboard(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniform on the black squares of a 4×4 board on [−2, 2]², scaled by √3/2 (U[−2, 2] has variance 4/3)."""
    x = rng.uniform(-2, 2, n)
    y = rng.uniform(0, 1, n) - 2 * rng.integers(0, 2, n) + np.floor(x) % 2
    return np.stack([x, y], 1) * (math.sqrt(3) / 2)


_TOY_BUILDERS = {"moons": _moons, "swiss_roll": _swiss_roll, "8gaussians": _eight_gaussians,
                 "checkerboard": _checkerboard}
_LABELLED_TOY_BUILDERS = {"moons": _labelled_moons}
TOY_NUM_CLASSES = {"moons": 2}  # the toy sets that come with a class label y, and how many classes


def make_toy(name: str, n: int, seed: int = 0) -> torch.Tensor:
    """n points x0 of the toy set `name`, (n, 2) float32, the same for the same (name, n, seed)."""
    if name not in _TOY_BUILDERS:
        raise ValueError(f"unknown toy data set {name!r}; choose one of {', '.join(TOY_DATASETS)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer of at least 1; got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    points = _TOY_BUILDERS[name](np.random.default_rng(seed), n)
    return torch.from_numpy(np.ascontiguousarray(points, dtype=np.float32))


def make_labelled_toy(name: str, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(x0, y): the points of make_toy(name, n, seed), (n, 2), with their class labels (n,) long, for the toy
    sets in TOY_NUM_CLASSES (moons: y = which moon)."""
    if name not in _LABELLED_TOY_BUILDERS:
        raise ValueError(f"toy data set {name!r} has no class labels; labelled: {', '.join(TOY_NUM_CLASSES)}")
    x0 = make_toy(name, n, seed)  # validates n and seed
    y = _LABELLED_TOY_BUILDERS[name](np.random.default_rng(seed), n)[1]
    return x0, torch.from_numpy(y)


class DigitsSplit(NamedTuple):
    """x: (N, 1, 8, 8) float32 on the 8-bit grid in [−1, 1]; y: (N,) long labels 0…9."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def digits_to_unit_range(grey: np.ndarray) -> np.ndarray:
    """Grey levels 0…16 -> the 8-bit grid, round(v / 16 · 255), -> x0 = v8 / 127.5 − 1 in [−1, 1]."""
    return np.round(grey / 16 * 255) / 127.5 - 1


def load_digits_split() -> DigitsSplit:
    """scikit-learn's 1797 8×8 digits (shipped with it, nothing downloaded), split 80/20 stratified, seed 0."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits_to_unit_range(digits.images.astype(np.float64)).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=digits.target)
    return DigitsSplit(torch.from_numpy(x_train), torch.from_numpy(y_train).long(),
                       torch.from_numpy(x_test), torch.from_numpy(y_test).long())
