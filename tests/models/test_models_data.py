"""Are the toy sets and the digits split deterministic, correctly scaled, and strict about bad arguments?"""
import numpy as np
import pytest
import torch

from reference.data import TOY_DATASETS, load_digits_split, make_toy


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_toy_same_seed_same_points_other_seed_other_points(name):
    """Does a seed fix the points bit for bit, and does another seed change them?"""
    a, b, c = make_toy(name, 500, seed=3), make_toy(name, 500, seed=3), make_toy(name, 500, seed=4)
    assert a.shape == (500, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_toy_roughly_unit_variance(name):
    """Is each coordinate of a large sample near mean 0 and standard deviation 1?"""
    x = make_toy(name, 50_000, seed=0).double()
    assert x.mean(0).abs().max() < 0.1
    assert ((x.std(0) - 1).abs() < 0.1).all(), x.std(0)


def test_toy_sets_differ_from_each_other():
    """Are the four sets four different distributions (not one generator under four names)?"""
    samples = [make_toy(name, 2000, seed=0) for name in TOY_DATASETS]
    for i in range(len(samples)):
        for j in range(i + 1, len(samples)):
            assert not torch.allclose(samples[i], samples[j], atol=0.1)


def test_eight_gaussians_has_eight_modes():
    """Do the 8gaussians points cluster at 8 angles 45° apart?"""
    x = make_toy("8gaussians", 4000, seed=0).double()
    angle = torch.atan2(x[:, 1], x[:, 0]) % (2 * np.pi)
    sector = torch.round(angle / (np.pi / 4)) % 8
    counts = torch.bincount(sector.long(), minlength=8)
    assert (counts > 350).all(), counts
    off_centre = (angle - sector * np.pi / 4 + np.pi) % (2 * np.pi) - np.pi  # angle to the nearest of the 8 axes
    assert off_centre.abs().max() < 0.35  # σ/r = 0.07 rad


@pytest.mark.parametrize("bad_name", ["moon", "", "digits"])
def test_unknown_toy_name_is_named(bad_name):
    """Does an unknown set name raise a ValueError that quotes it?"""
    with pytest.raises(ValueError, match=repr(bad_name)):
        make_toy(bad_name, 10)


@pytest.mark.parametrize("bad_n", [0, -5, 2.5, True])
def test_bad_n_is_named(bad_n):
    """Does a non-positive or non-integer n raise a ValueError that quotes it?"""
    with pytest.raises(ValueError, match=f"n must be .*got {bad_n!r}"):
        make_toy("moons", bad_n)


def test_digits_split_shapes_and_grid():
    """1797 digits, (N, 1, 8, 8) in [−1, 1], every pixel on the 8-bit grid, labels 0…9 in both parts?"""
    split = load_digits_split()
    assert split.x_train.shape[1:] == (1, 8, 8) and split.x_test.shape[1:] == (1, 8, 8)
    assert len(split.x_train) + len(split.x_test) == 1797
    assert len(split.x_train) == len(split.y_train) and len(split.x_test) == len(split.y_test)
    both = torch.cat([split.x_train, split.x_test])
    assert both.min() == -1 and both.max() == 1
    v8 = (both.double() + 1) * 127.5
    assert (v8 - v8.round()).abs().max() < 1e-4
    assert set(split.y_train.tolist()) == set(range(10)) == set(split.y_test.tolist())


def test_digits_match_sklearn_grey_levels():
    """Is each stored pixel round(v/16·255)/127.5 − 1 of scikit-learn's grey level v, for the same images?"""
    from sklearn.datasets import load_digits

    raw = load_digits().images  # (1797, 8, 8), 0…16
    expected = torch.from_numpy(np.round(raw / 16 * 255) / 127.5 - 1).float()
    split = load_digits_split()
    both = torch.cat([split.x_train, split.x_test])[:, 0]
    # the split permutes the images: match them as sorted sets of rows
    key = lambda x: sorted(map(tuple, x.flatten(1).tolist()))  # noqa: E731
    assert key(both) == key(expected)


def test_digits_split_is_fixed_and_disjoint():
    """Does every call give the same split, with no image index in both parts?"""
    a, b = load_digits_split(), load_digits_split()
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    train_rows = {tuple(r) for r in a.x_train.flatten(1).tolist()}
    overlap = sum(tuple(r) in train_rows for r in a.x_test.flatten(1).tolist())
    assert overlap < 10  # a few digits are pixel-identical duplicates in the raw data
