"""Does reference/nets/network.py read the U-Net as it is: every parameter in some block, every attention layer found,
the skips the forward pass takes, and attention weights that are the ones the model applies?"""
import pytest
import torch

from reference.checkpoints import available_checkpoints, load_checkpoint
from reference.nets.models import UNet, count_parameters
from reference.nets.network import (KIND_NOTES, capture, describe_unet, embedding_table, strongest_channels,
                               top_level_blocks)
from reference.nets.unet import SelfAttention

needs_digits = pytest.mark.skipif("digits" not in available_checkpoints(),
                                  reason="the digits checkpoint is not shipped")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread, as the lab runs: on a shared CPU two threads spin against each other (README "The lab")."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    return load_checkpoint("digits", device="cpu").model


def deeper_unet() -> UNet:
    """Three levels and two units a level: a tree unlike the shipped one, so nothing digits-specific passes."""
    torch.manual_seed(0)
    return UNet(channels=8, channel_mults=[1, 2, 2], blocks=2, groups=4).eval()


@needs_digits
def test_digits_blocks_add_up_to_the_model_and_follow_the_forward_pass(digits):
    """Do the digits U-Net's block parameters sum to count_parameters, and are its 13 blocks, shapes, attention
    and skips those of UNet.forward?"""
    blocks = describe_unet(digits)
    assert sum(b.params for b in blocks) == count_parameters(digits) == 701_345
    assert [b.name for b in blocks] == ["time_mlp", "inp", "down.0", "down.1", "down.2", "middle.0", "middle.1",
                                        "up.0", "up.1", "up.2", "up.3", "up.4", "out"]
    assert {b.kind for b in blocks} <= set(KIND_NOTES)
    assert [b.name for b in blocks if b.attention] == ["down.2", "middle.0", "up.0", "up.1"]
    assert all(b.out_shape[1:] == (4, 4) and b.level == 1 for b in blocks if b.attention)
    assert {b.name: b.skip_from for b in blocks if b.skip_from} == {"up.0": "down.2", "up.1": "down.1",
                                                                    "up.3": "down.0", "up.4": "inp"}
    by_name = {b.name: b for b in blocks}
    assert by_name["time_mlp"].in_shape == (32,) and by_name["time_mlp"].out_shape == (128,)
    assert by_name["up.0"].in_shape == (128, 4, 4)  # 64 channels of h and 64 of down.2's skip
    assert by_name["out"].out_shape == (1, 8, 8)


def test_any_unet_is_read_whole():
    """On a three-level U-Net with two units a level: does every parameter and every SelfAttention land in exactly
    one block, and does every up unit but the first of each level after an Upsample find a skip of its shape?"""
    model = deeper_unet()
    blocks = describe_unet(model)
    assert sum(b.params for b in blocks) == count_parameters(model)
    assert set(top_level_blocks(model)) == {b.name for b in blocks}
    n_attention = sum(isinstance(m, SelfAttention) for m in model.modules())
    assert sum(b.attention for b in blocks) == n_attention == 2 + 1 + 3  # down, middle, up at the lowest level
    assert sum(b.attention_params for b in blocks) == sum(count_parameters(m) for m in model.modules()
                                                          if isinstance(m, SelfAttention))
    up_units = [b for b in blocks if b.path == "up" and b.kind.startswith("ResBlock")]
    assert len(up_units) == 3 * 3 and all(b.skip_from is not None for b in up_units)
    assert len({b.skip_from for b in up_units}) == len(up_units)  # each skip is used once
    shapes = {b.name: b for b in blocks}
    for b in up_units:
        source = shapes[b.skip_from].out_shape
        assert source[1:] == b.in_shape[1:] and source[0] < b.in_shape[0]
    assert sorted({b.level for b in blocks}) == [0, 1, 2]


@pytest.mark.parametrize("make", [deeper_unet, pytest.param(lambda: load_checkpoint("digits", device="cpu").model,
                                                             marks=needs_digits)])
def test_captured_attention_is_a_softmax_the_model_applies(make):
    """Are the captured weights (B, N, N) with N = H·W of their block, rows summing to 1, and do they, applied to
    the layer's values, give back the layer's output?"""
    model = make()
    torch.manual_seed(1)
    x_t, t = torch.randn(3, 1, 8, 8), torch.tensor([0, 400, 999])
    inside = capture(model, x_t, t)
    blocks = {b.name: b for b in describe_unet(model)}
    assert set(inside.attention) == {name for name, b in blocks.items() if b.attention}
    for name, weights in inside.attention.items():
        c, h, w = blocks[name].out_shape
        assert weights.shape == (3, h * w, h * w)
        assert (weights >= 0).all()
        torch.testing.assert_close(weights.sum(-1), torch.ones(3, h * w))
    # The weights are those scaled_dot_product_attention used: rebuild one layer's output from them.
    seen = {}
    layer = next(m for m in model.modules() if isinstance(m, SelfAttention))
    handle = layer.register_forward_hook(lambda m, args, out: seen.update(x=args[0], out=out))
    with torch.no_grad():
        model(x_t, t)
        handle.remove()
        x = seen["x"]
        B, C, H, W = x.shape
        _, _, v = layer.queries_keys_values(x)
        rebuilt = x + layer.proj((layer.attention_weights(x) @ v).transpose(1, 2).reshape(B, C, H, W))
    torch.testing.assert_close(rebuilt, seen["out"], rtol=1e-5, atol=1e-5)


@needs_digits
def test_captured_features_have_the_reported_shapes_and_change_nothing(digits):
    """Does every block's captured output have the shape describe_unet reports, and is eps_pred the model's own
    (the hooks leave the pass alone and are removed after)?"""
    torch.manual_seed(2)
    x_t, t = torch.randn(2, 1, 8, 8), torch.tensor([10, 700])
    inside = capture(digits, x_t, t)
    for b in describe_unet(digits):
        assert tuple(inside.features[b.name].shape) == (2, *b.out_shape), b.name
    with torch.no_grad():
        torch.testing.assert_close(inside.eps_pred, digits(x_t, t), rtol=0, atol=0)
    assert torch.equal(inside.features["out"], inside.eps_pred)
    assert not any(m._forward_hooks for m in digits.modules())


def test_embedding_table_rows_are_the_embedding_of_each_code_t():
    """Is row t of the table timestep_embedding(t) at the model's t_dim, row 0 being [0 … 0, 1 … 1]?"""
    from reference.nets.embeddings import timestep_embedding

    model = deeper_unet()
    table = embedding_table(model, 50)
    assert table.shape == (50, model.t_dim)
    torch.testing.assert_close(table[[0, 17, 49]], timestep_embedding(torch.tensor([0, 17, 49]), model.t_dim))
    assert table[0].tolist() == [0.0] * (model.t_dim // 2) + [1.0] * (model.t_dim // 2)
    with pytest.raises(ValueError, match="got 0"):
        embedding_table(model, 0)


def test_strongest_channels_rank_by_spread():
    """Are channels ranked by their standard deviation over the image, and a bad k named?"""
    features = torch.zeros(4, 2, 2)
    features[1] = torch.tensor([[0.0, 3.0], [0.0, 3.0]])
    features[3] = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    features[2] = 5.0  # large but flat
    assert strongest_channels(features, 2).tolist() == [1, 3]
    with pytest.raises(ValueError, match="got 5"):
        strongest_channels(features, 5)
    with pytest.raises(ValueError, match=r"got shape \(4, 4\)"):
        strongest_channels(features[0].reshape(4, 1).expand(4, 4), 1)
