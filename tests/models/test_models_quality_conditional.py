"""Do the shipped class-conditional checkpoints (digits_cond, moons_cond) draw the class they are asked for, more
reliably with guidance, and does a fresh, smaller recomputation with the reference agree with the accuracy-vs-
diversity curve their manifests record?"""
import json
import shlex

import pytest
import torch

from reference import load_checkpoint, load_digits_split, make_labelled_toy, sample_ddim, sample_ddpm
from reference.checkpoints import WEIGHTS_DIR, available_checkpoints
from reference.evaluate import (GUIDANCE_SCALES, class_fidelity, digits_classifier, guidance_sweep,
                                support_precision, toy_classifier)

pytestmark = pytest.mark.skipif(not {"digits_cond", "moons_cond"} <= set(available_checkpoints()),
                                reason="the conditional checkpoints are not shipped")
HELDOUT_SEED = 2  # neither the training set (seed 0) nor the manifest's evaluation set (seed 1)
FRESH_PER_CLASS, FRESH_SEED = 10, 7  # the recomputation: fewer samples, other noise than the manifest's


def _manifest(name):
    return json.loads((WEIGHTS_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def digits():
    return load_checkpoint("digits_cond", "cpu")


@pytest.fixture(scope="module")
def judge():
    return digits_classifier()


@pytest.mark.parametrize("name, data, classes", [("digits_cond", "digits", 10), ("moons_cond", "moons", 2)])
def test_manifest_records_the_conditioning(name, data, classes):
    """Does the manifest record the class count, a label drop in Ho & Salimans' 0.1–0.2, the command that says
    both, the bound given the class, and a sweep over every w of GUIDANCE_SCALES with per-class figures?"""
    m = _manifest(name)
    assert m["data"] == data and m["num_classes"] == classes and 0.1 <= m["label_drop"] <= 0.2
    args = shlex.split(m["command"])
    assert args[args.index("--num-classes") + 1] == str(classes)
    assert float(args[args.index("--label-drop") + 1]) == m["label_drop"]
    assert args[args.index("--steps") + 1] == str(m["steps"]) and args[-1] == f"reference/weights/{name}"
    g = m["guidance"]
    assert [row["w"] for row in g["curve"]] == list(GUIDANCE_SCALES)
    for row in g["curve"]:
        assert len(row["per_class_accuracy"]) == len(row["per_class_diversity"]) == classes
        assert 0 <= row["accuracy"] <= 1 and row["diversity"] > 0
    assert len(g["bits_per_dim_per_class"]) == classes and g["bits_per_dim_given_class"] > 0


def test_digits_curve_trades_diversity_for_accuracy():
    """In the manifest's sweep, is every w > 0 at least as accurate as w = 0 (overall and for every digit), more
    confident in the asked digit, and less diverse?"""
    curve = _manifest("digits_cond")["guidance"]["curve"]
    plain = curve[0]
    for guided in curve[1:]:
        assert guided["accuracy"] >= plain["accuracy"], guided["w"]
        assert all(g >= p for p, g in zip(plain["per_class_accuracy"], guided["per_class_accuracy"])), guided["w"]
        assert guided["mean_confidence"] > plain["mean_confidence"], guided["w"]
        assert guided["diversity"] < plain["diversity"], guided["w"]


@pytest.mark.slow
def test_digits_fresh_recomputation_agrees_with_the_manifest(digits, judge):
    """Does guidance_sweep on 10 samples per digit from other noise, at w = 0 and w = 3, land within sampling
    error of the manifest's accuracy and within 15 % of its diversity?"""
    g = _manifest("digits_cond")["guidance"]
    recorded = {row["w"]: row for row in g["curve"]}
    fresh = guidance_sweep(digits.model, digits.schedule, (1, 8, 8), judge, FRESH_PER_CLASS, ws=(0.0, 3.0),
                           seed=FRESH_SEED, clip_x0=1.0)
    for row in fresh:
        want = recorded[row["w"]]
        tolerance = 4 * (row["accuracy_se"] ** 2 + want["accuracy_se"] ** 2) ** 0.5 + 0.02
        assert abs(row["accuracy"] - want["accuracy"]) < tolerance, (row["w"], row["accuracy"], want["accuracy"])
        assert row["diversity"] == pytest.approx(want["diversity"], rel=0.15), row["w"]


@pytest.mark.slow
def test_guided_digits_are_the_asked_digit(digits, judge):
    """Are 20 samples of each digit at w = 3 (DDIM 50, trailing, x̂0 clipped) labelled that digit ≥ 95 % of the
    time, for every digit at least as often as at w = 0 from the same noise, and with more confidence?"""
    y = torch.arange(10).repeat_interleave(20)
    x_T = torch.randn(len(y), 1, 8, 8, generator=torch.Generator().manual_seed(HELDOUT_SEED))
    scores = {}
    for w in (0.0, 3.0):
        x0 = sample_ddim(digits.model, x_T.shape, digits.schedule, steps=50, x_T=x_T, clip_x0=1.0, y=y, guidance=w)
        scores[w] = class_fidelity(x0, y, judge)
    plain, guided = scores[0.0], scores[3.0]
    assert guided["accuracy"] >= 0.95, guided
    assert all(g >= p for p, g in zip(plain["per_class_accuracy"], guided["per_class_accuracy"])), scores
    assert guided["mean_confidence"] > plain["mean_confidence"], scores


@pytest.mark.slow
def test_bound_is_lower_given_the_right_digit(digits):
    """On 20 test digits, is the bound given the true label below the bound given a wrong one (label + 1)?"""
    from reference.evaluate import bits_per_dim_given_class

    split = load_digits_split()
    x0, y = split.x_test[:20], split.y_test[:20]
    right, _ = bits_per_dim_given_class(digits.model, x0, y, digits.schedule, "discrete", max_rows=4000, clip_x0=1.0)
    wrong, _ = bits_per_dim_given_class(digits.model, x0, (y + 1) % 10, digits.schedule, "discrete", max_rows=4000,
                                        clip_x0=1.0)
    assert right < wrong, (right, wrong)


def test_moons_land_on_the_asked_moon():
    """Are 500 DDPM samples per moon (w = 0) on the moon asked for (nearest held-out neighbours) at least 97 % of
    the time, and on the data's support?"""
    ckpt = load_checkpoint("moons_cond", "cpu")
    heldout, labels = make_labelled_toy("moons", 2000, seed=HELDOUT_SEED)
    y = torch.arange(2).repeat_interleave(500)
    x0 = sample_ddpm(ckpt.model, (len(y), 2), ckpt.schedule, generator=torch.Generator().manual_seed(1), y=y)
    scores = class_fidelity(x0, y, toy_classifier("moons", 2000, HELDOUT_SEED))
    assert min(scores["per_class_accuracy"]) >= 0.97, scores
    assert support_precision(x0, heldout) >= 0.9
    assert support_precision(x0[y == 0], heldout[labels == 0]) >= 0.9  # moon 0's samples cover moon 0 alone
