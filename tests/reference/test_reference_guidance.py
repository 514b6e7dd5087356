"""Classifier-free guidance (Ho & Salimans 2022, eq. 6) and the class-conditional networks: is the guided model
(1 + w)·ε_θ(x_t, t, y) − w·ε_θ(x_t, t, ∅), computed in one batched pass, do the samplers and the bound route
through it, and do unconditional networks behave as before?"""
import pytest
import torch

from reference import (Schedule, build_model, ddpm_steps, make_toy, model_predictions, sample_ddim, sample_ddpm,
                       vlb_terms)
from reference.data import make_labelled_toy
from reference.evaluate import bits_per_dim_given_class, class_diversity, class_fidelity
from reference.diffusion.guidance import condition, guided_model
from reference.nets.models import MLPDenoiser, UNet

SCHEDULE = Schedule.from_name("cosine", T=40)


def _mlp(num_classes=3, seed=0):
    torch.manual_seed(seed)
    model = MLPDenoiser(hidden=32, layers=2, num_classes=num_classes).eval()
    with torch.no_grad():  # a random label table large enough that the classes visibly differ
        model.label_emb.weight.normal_(0, 2.0)
    return model


def _unet(num_classes=4, seed=0):
    torch.manual_seed(seed)
    model = UNet(channels=8, channel_mults=[1, 2], groups=4, num_classes=num_classes).eval()
    with torch.no_grad():
        model.label_emb.weight.normal_(0, 2.0)
    return model


class CountingModel(torch.nn.Module):
    """Wraps a network, recording the batch size and labels of every forward pass."""

    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.calls = model, model.config, []

    def forward(self, x_t, t, y=None):
        self.calls.append((len(x_t), None if y is None else y.clone()))
        return self.model(x_t, t, y)


@pytest.mark.parametrize("make, shape", [(_mlp, (6, 2)), (_unet, (6, 1, 8, 8))])
@pytest.mark.parametrize("w", [0.5, 1.0, 3.0])
def test_guided_model_is_eq_6(make, shape, w):
    """Is the guided model (1 + w)·ε_θ(x_t, t, y) − w·ε_θ(x_t, t, ∅), the two computed here separately?"""
    model = make()
    x_t, t = torch.randn(shape, generator=torch.Generator().manual_seed(1)), torch.tensor([0, 5, 9, 20, 30, 39])
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    null = torch.full_like(y, model.config["num_classes"])
    with torch.no_grad():
        cond, uncond = model(x_t, t, y), model(x_t, t, null)
        guided = guided_model(model, y, w)(x_t, t)
    assert not torch.allclose(cond, uncond, atol=1e-3)  # the label matters, so the test can fail
    torch.testing.assert_close(guided, (1 + w) * cond - w * uncond, rtol=1e-5, atol=1e-5)


def test_w_zero_is_the_conditional_model_in_one_pass_of_B():
    """At w = 0, is the guided model ε_θ(x_t, t, y) exactly, from a single pass of B rows?"""
    model = CountingModel(_mlp())
    x_t, t, y = torch.randn(5, 2), torch.full((5,), 7), torch.tensor([2, 1, 0, 1, 2])
    with torch.no_grad():
        assert torch.equal(guided_model(model, y, 0.0)(x_t, t), model.model(x_t, t, y))
    assert [n for n, _ in model.calls] == [5]


def test_guidance_is_one_batched_pass_of_2B():
    """For w > 0, is there exactly one forward pass, of 2B rows, with labels [y, ∅]?"""
    model = CountingModel(_mlp())
    y = torch.tensor([2, 1, 0, 1])
    with torch.no_grad():
        guided_model(model, y, 2.0)(torch.randn(4, 2), torch.full((4,), 3))
    assert len(model.calls) == 1
    rows, labels = model.calls[0]
    assert rows == 8 and torch.equal(labels, torch.tensor([2, 1, 0, 1, 3, 3, 3, 3]))


def test_null_label_is_none():
    """Does y = None give the null label ∅ = num_classes?"""
    model = _mlp()
    x_t, t = torch.randn(4, 2), torch.full((4,), 3)
    with torch.no_grad():
        assert torch.equal(model(x_t, t), model(x_t, t, torch.full((4,), 3)))


@pytest.mark.parametrize("prediction", ["x0", "v"])
def test_x0_and_v_models_combined_by_their_outputs_guide_eps(prediction):
    """For a model of x0 or v, is the ε behind the combined outputs (1 + w)·ε_c − w·ε_u, each ε from eq. 4?"""
    model, w = _mlp(), 2.0
    x_t, t, y = torch.randn(6, 2), torch.tensor([1, 4, 9, 15, 22, 38]), torch.tensor([0, 1, 2, 2, 1, 0])
    null = torch.full_like(y, 3)
    with torch.no_grad():
        eps_c, _ = model_predictions(lambda x, s: model(x, s, y), x_t, t, SCHEDULE, prediction)
        eps_u, _ = model_predictions(lambda x, s: model(x, s, null), x_t, t, SCHEDULE, prediction)
        eps_guided, _ = model_predictions(guided_model(model, y, w), x_t, t, SCHEDULE, prediction)
    torch.testing.assert_close(eps_guided, (1 + w) * eps_c - w * eps_u, rtol=1e-4, atol=1e-4)


def test_samplers_take_y_and_guidance():
    """Do sample_ddpm / sample_ddim with y and guidance equal the same samplers run on guided_model by hand, and
    does the guidance change the samples?"""
    model, y, w = _mlp(), torch.tensor([0, 1, 2, 0]), 3.0
    x_T = torch.randn(4, 2, generator=torch.Generator().manual_seed(2))
    noises = torch.randn(SCHEDULE.T, 4, 2, generator=torch.Generator().manual_seed(3))
    by_hand = guided_model(model, y, w)
    ddpm = sample_ddpm(model, (4, 2), SCHEDULE, x_T=x_T, noises=noises, y=y, guidance=w)
    assert torch.equal(ddpm, sample_ddpm(by_hand, (4, 2), SCHEDULE, x_T=x_T, noises=noises))
    ddim = sample_ddim(model, (4, 2), SCHEDULE, steps=10, x_T=x_T, y=y, guidance=w)
    assert torch.equal(ddim, sample_ddim(by_hand, (4, 2), SCHEDULE, steps=10, x_T=x_T))
    assert not torch.allclose(ddim, sample_ddim(model, (4, 2), SCHEDULE, steps=10, x_T=x_T, y=y))


def test_conditional_model_without_y_samples_with_the_null_label():
    """Does a conditional model sampled without y give the samples of y = ∅ everywhere?"""
    model = _mlp()
    x_T = torch.randn(4, 2, generator=torch.Generator().manual_seed(2))
    null_model = lambda x, t: model(x, t, torch.full((len(x),), 3))  # noqa: E731
    assert torch.equal(sample_ddim(model, (4, 2), SCHEDULE, steps=8, x_T=x_T),
                       sample_ddim(null_model, (4, 2), SCHEDULE, steps=8, x_T=x_T))


def test_unconditional_networks_unchanged():
    """Without num_classes: no label table, the config as before, the same seeded initial weights as the
    conditional network's shared parts, and y refused?"""
    for make, kwargs in ((MLPDenoiser, {"hidden": 32}), (UNet, {"channels": 8, "groups": 4})):
        torch.manual_seed(0)
        plain = make(**kwargs)
        torch.manual_seed(0)
        cond = make(**kwargs, num_classes=3)
        assert "num_classes" not in plain.config and cond.config["num_classes"] == 3
        plain_state, cond_state = plain.state_dict(), cond.state_dict()
        assert set(cond_state) - set(plain_state) == {"label_emb.weight"}
        assert cond_state["label_emb.weight"].shape[0] == 4  # the classes and ∅
        for key, value in plain_state.items():
            assert torch.equal(value, cond_state[key]), key
        x = torch.randn(2, *((2,) if make is MLPDenoiser else (1, 8, 8)))
        with pytest.raises(ValueError, match="unconditional"):
            plain(x, torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.long))
    assert build_model("MLPDenoiser", {"num_classes": 2}).config["num_classes"] == 2


@pytest.mark.parametrize("y, w, fragment", [
    (torch.tensor([0, 1, 3]), 1.0, "got 3"),  # ∅ is not a class to sample
    (torch.tensor([0, -1, 2]), 1.0, "got -1"),
    (torch.tensor([0.0, 1.0, 2.0]), 1.0, "long tensor"),
    (torch.tensor([[0, 1, 2]]), 1.0, r"\(1, 3\)"),
    (2, 1.0, "long tensor"),
    (torch.tensor([0, 1, 2]), -0.5, "-0.5"),
    (torch.tensor([0, 1, 2]), float("nan"), "nan"),
])
def test_bad_y_or_w_named(y, w, fragment):
    """Does a bad class label or guidance scale raise a ValueError naming it?"""
    with pytest.raises(ValueError, match=fragment):
        guided_model(_mlp(), y, w)


def test_misuse_named():
    """Guidance without y, y for an unconditional network, and a batch that is not a multiple of y: ValueErrors?"""
    with pytest.raises(ValueError, match="needs a class y"):
        condition(_mlp(), None, 1.0)
    with pytest.raises(ValueError, match="unconditional"):
        guided_model(MLPDenoiser(hidden=16), torch.tensor([0]), 1.0)
    with pytest.raises(ValueError, match="needs a class y"):
        next(ddpm_steps(_mlp(), torch.randn(2, 2), SCHEDULE, guidance=1.0))
    with pytest.raises(ValueError, match="multiple"):
        guided_model(_mlp(), torch.tensor([0, 1]), 1.0)(torch.randn(3, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="got 5"):
        _mlp()(torch.randn(1, 2), torch.zeros(1, dtype=torch.long), torch.tensor([5]))


def test_bound_given_class_tiles_the_labels():
    """Does vlb_terms of the w = 0 guided model hand every copy of the B examples its own label, and does
    bits_per_dim_given_class report per-class means of the same bound?"""
    model = CountingModel(_mlp())
    x0, y = make_labelled_toy("moons", 6, seed=0)
    y = torch.tensor([0, 1, 2, 2, 1, 0])
    vlb_terms(guided_model(model, y, 0.0), x0, SCHEDULE, max_rows=6 * 7)  # chunks of 7 timesteps
    for rows, labels in model.calls:
        assert torch.equal(labels, y.repeat(rows // 6))
    terms = vlb_terms(guided_model(model.model, y, 0.0), x0, SCHEDULE, seed=3)
    bits = terms.bits_per_dim(terms.total)
    mean, per_class = bits_per_dim_given_class(model.model, x0, y, SCHEDULE, "continuous", seed=3)
    assert mean == pytest.approx(float(bits.mean()), rel=1e-6)
    assert per_class == pytest.approx([float(bits[y == c].mean()) for c in range(3)], rel=1e-6)


def test_labelled_moons_are_make_toy_with_the_moon():
    """Are the labelled moons the same points as make_toy, label 0 the upper moon (y ≥ the lower moon's)?"""
    x0, y = make_labelled_toy("moons", 4000, seed=5)
    assert torch.equal(x0, make_toy("moons", 4000, seed=5)) and set(y.tolist()) == {0, 1}
    # the upper moon (cos θ, sin θ) lies above y = −0.1 before scaling; the lower (1 − cos θ, ½ − sin θ) below 0.6
    raw_y = x0[:, 1] * 0.497 + 0.25
    assert (raw_y[y == 0] > -0.25).all() and (raw_y[y == 1] < 0.75).all()
    with pytest.raises(ValueError, match="no class labels"):
        make_labelled_toy("swiss_roll", 10)


def test_class_fidelity_and_diversity_by_hand():
    """On hand-made points: accuracy, per-class accuracy, p(y|x) and within-class mean distance as computed here?"""

    class Nearest:  # p = 1 for the class of the nearer of two centres
        def predict_proba(self, x):
            import numpy as np
            return np.stack([x[:, 0] < 0, x[:, 0] >= 0], 1).astype(float)

    x = torch.tensor([[-1.0, 0.0], [-1.0, 3.0], [1.0, 0.0], [-2.0, 0.0]])
    y = torch.tensor([0, 0, 1, 1])
    scores = class_fidelity(x, y, Nearest())
    assert scores["accuracy"] == 0.75 and scores["per_class_accuracy"] == [1.0, 0.5]
    assert scores["mean_confidence"] == 0.75
    assert scores["diversity"] == pytest.approx((3.0 + 3.0) / 2)
    assert class_diversity(x, y) == scores["diversity"]
