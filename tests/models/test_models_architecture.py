"""Do the denoisers have the documented inputs, outputs and conditioning?"""
import math

import pytest
import torch

from reference.nets.models import MLPDenoiser, UNet, build_model, timestep_embedding


def test_timestep_embedding_matches_diffusers():
    """Does the embedding equal diffusers' get_timestep_embedding with Ho et al.'s frequency spacing?"""
    from diffusers.models.embeddings import get_timestep_embedding

    t = torch.tensor([0, 1, 17, 500, 999])
    ours = timestep_embedding(t, 64)
    theirs = get_timestep_embedding(t, 64, flip_sin_to_cos=False, downscale_freq_shift=1)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_timestep_embedding_by_hand():
    """At t = 1 and dim 4: [sin 1, sin 10⁻⁴, cos 1, cos 10⁻⁴]?"""
    emb = timestep_embedding(torch.tensor([1]), 4)[0]
    expected = torch.tensor([math.sin(1), math.sin(1e-4), math.cos(1), math.cos(1e-4)])
    torch.testing.assert_close(emb, expected)


@pytest.mark.parametrize("dim", [3, 2, 7])
def test_timestep_embedding_bad_dim_named(dim):
    """Does an odd or tiny embedding size raise a ValueError naming it?"""
    with pytest.raises(ValueError, match=f"got {dim}"):
        timestep_embedding(torch.tensor([0]), dim)


@pytest.mark.parametrize("model, shape", [(MLPDenoiser(hidden=32, layers=2), (5, 2)),
                                          (UNet(channels=16, channel_mults=[1, 2]), (5, 1, 8, 8))])
def test_output_shape_and_t_dependence(model, shape):
    """eps_pred has x_t's shape, and changing only t changes it?"""
    torch.manual_seed(0)
    x_t = torch.randn(shape)
    a = model(x_t, torch.zeros(shape[0], dtype=torch.long))
    b = model(x_t, torch.full((shape[0],), 700, dtype=torch.long))
    assert a.shape == x_t.shape
    assert (a - b).abs().max() > 1e-4


def test_unet_rows_are_independent():
    """Does one image's eps_pred ignore the other images in its batch (GroupNorm, not BatchNorm)?"""
    torch.manual_seed(0)
    model = UNet(channels=16, channel_mults=[1, 2]).eval()
    x_t, t = torch.randn(4, 1, 8, 8), torch.tensor([3, 300, 600, 900])
    torch.testing.assert_close(model(x_t, t)[:1], model(x_t[:1], t[:1]), rtol=1e-4, atol=1e-5)


def test_unet_has_attention_at_lowest_resolution_and_groupnorm():
    """Does the U-Net hold self-attention and GroupNorm layers, and no BatchNorm?"""
    model = UNet(channels=16, channel_mults=[1, 2])
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"SelfAttention", "GroupNorm", "ResBlock"} <= kinds
    assert "BatchNorm2d" not in kinds


def test_build_model_round_trips_config():
    """Does build_model(class, model.config) give a model with the same parameter shapes?"""
    for model in (MLPDenoiser(hidden=48, layers=2), UNet(channels=16, channel_mults=[1, 2], blocks=2)):
        rebuilt = build_model(type(model).__name__, model.config)
        assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
               {k: v.shape for k, v in model.state_dict().items()}


@pytest.mark.parametrize("class_name, config, fragment", [
    ("Transformer", {}, "'Transformer'"),
    ("MLPDenoiser", {"hiden": 64}, "hiden"),
    ("MLPDenoiser", {"hidden": 0}, "got 0"),
    ("UNet", {"channels": 30, "groups": 8}, "got 8"),
])
def test_build_model_errors_name_the_problem(class_name, config, fragment):
    """Do unknown classes, unknown keys and bad sizes raise ValueError naming them?"""
    with pytest.raises(ValueError, match=fragment):
        build_model(class_name, config)
