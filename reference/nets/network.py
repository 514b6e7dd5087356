"""Inside the digits U-Net (reference/nets/unet.py): its blocks read off the module tree, and what they compute at one t.

`describe_unet(model, image_shape)` lists the blocks in the order the forward pass calls them, with the shapes a
dummy forward pass gives them, their parameter counts (which add up to `count_parameters(model)`), where
self-attention sits and which earlier block each up unit concatenates as its skip. Nothing is written down by hand:
the blocks are the model's top-level children (ModuleLists opened), the shapes and skips are what forward hooks
see. `capture(model, x_t, t)` runs the model once with the same hooks and returns every block's output (its
feature maps) and every self-attention layer's weights softmax(q·kᵀ/√C).

The pieces, after Ho et al. 2020 (§4, Appendix B), who follow PixelCNN++'s U-Net with group normalisation:
- the time embedding: t's sinusoidal position embedding (Vaswani et al. 2017, §3.5), then Linear → SiLU → Linear,
  added inside every ResBlock;
- ResBlock: two 3×3 convolutions with GroupNorm and SiLU, the time embedding added between them, a residual path;
- SelfAttention: single-head attention over all H·W positions (Vaswani et al. 2017, §3.2), at the lowest
  resolution only (Ho et al. use 16×16 of a 32×32 image; here 4×4 of 8×8);
- Downsample (stride-2 convolution) and Upsample (nearest neighbour, then a convolution) between resolutions;
- skip connections: the up path concatenates each down block's output along the channels.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .embeddings import timestep_embedding
from .models import count_parameters
from .unet import Downsample, ResBlock, SelfAttention, Unit, Upsample

# What each kind of block does, one line each, with the paper it comes from.
KIND_NOTES = {
    "time embedding": "sinusoidal embedding of t (Vaswani et al. 2017, §3.5) → Linear → SiLU → Linear; "
                      "added in every ResBlock (Ho et al. 2020, Appendix B)",
    "input conv": "3×3 convolution from the image's channels to the first level's",
    "ResBlock": "GroupNorm → SiLU → conv 3×3, + time embedding, GroupNorm → SiLU → conv 3×3, + residual "
                "(Ho et al. 2020, §4 and Appendix B)",
    "ResBlock + attention": "the ResBlock, then single-head self-attention over the H·W positions "
                            "(Vaswani et al. 2017, §3.2; Ho et al. 2020, Appendix B)",
    "Downsample": "stride-2 3×3 convolution: halves H and W (Ho et al. 2020, Appendix B)",
    "Upsample": "nearest-neighbour ×2, then a 3×3 convolution: doubles H and W (Ho et al. 2020, Appendix B)",
    "output": "GroupNorm → SiLU → conv 3×3 down to the image's channels: ε_θ(x_t, t)",
}


@dataclass(frozen=True)
class Block:
    """One top-level block of the U-Net, as one forward pass of a (1, *image_shape) batch sees it.

    `in_shape` and `out_shape` leave out the batch: (C, H, W) for image-like tensors, (D,) for the time embedding;
    an up unit's `in_shape` counts the skip's channels too. `level` is log2(image H / output H): 0 at full
    resolution. `skip_from` names the block whose output an up unit concatenates (None elsewhere).
    """

    name: str  # the module path: "time_mlp", "inp", "down.0", …, "middle.1", "up.4", "out"
    kind: str  # a key of KIND_NOTES
    path: str  # "embedding", "down", "middle" or "up"
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    attention_params: int  # parameters of its self-attention layer, 0 without one
    level: int
    skip_from: str | None

    @property
    def attention(self) -> bool:
        return self.attention_params > 0


def top_level_blocks(model: nn.Module) -> dict[str, nn.Module]:
    """The model's children by module path, every ModuleList opened one level: {"inp": …, "down.0": …}."""
    blocks = {}
    for name, child in model.named_children():
        if isinstance(child, nn.ModuleList):
            blocks.update({f"{name}.{i}": m for i, m in enumerate(child)})
        else:
            blocks[name] = child
    return blocks


def _kind(module: nn.Module, out: torch.Tensor, image_channels: int) -> str:
    """The KIND_NOTES key of a block, from its class (and, for plain torch modules, what it outputs)."""
    if isinstance(module, Unit):
        return "ResBlock + attention" if module.attn is not None else "ResBlock"
    if isinstance(module, ResBlock):
        return "ResBlock"
    if isinstance(module, (Downsample, Upsample)):
        return type(module).__name__
    if out.dim() == 2:
        return "time embedding"
    return "output" if out.shape[1] == image_channels else "input conv"


def _record(model: nn.Module, run) -> tuple[list[str], dict[str, torch.Tensor], dict[str, torch.Tensor],
                                            dict[str, torch.Tensor], torch.Tensor]:
    """Call `run()` with forward hooks on every top-level block and every SelfAttention.

    Returns the blocks' names in the order they finished, their inputs and outputs, each attention layer's
    weights (B, HW, HW) keyed by its block's name, and run()'s result. The hooks are removed afterwards.
    """
    order, inputs, outputs, attention = [], {}, {}, {}
    handles = []

    def keep(name):
        def hook(module, args, out):
            order.append(name)
            inputs[name], outputs[name] = args[0].detach(), out.detach()
        return hook

    def keep_attention(name):
        def hook(module, args, out):
            attention[name] = module.attention_weights(args[0]).detach()  # (B, HW, HW)
        return hook

    try:
        for name, module in top_level_blocks(model).items():
            handles.append(module.register_forward_hook(keep(name)))
            for sub in module.modules():
                if isinstance(sub, SelfAttention):
                    handles.append(sub.register_forward_hook(keep_attention(name)))
        with torch.no_grad():
            result = run()
    finally:
        for h in handles:
            h.remove()
    return order, inputs, outputs, attention, result


def _skip_source(name: str, order: list[str], inputs: dict, outputs: dict) -> str | None:
    """The earlier block whose output equals the trailing channels of `name`'s input, found by value: an up unit's
    input is cat([h, skip]) with h the previous block's output; None where the input is only that h."""
    i = order.index(name)
    x = inputs[name]
    if i == 0 or x.dim() != 4:
        return None
    h = outputs[order[i - 1]]
    extra = x.shape[1] - h.shape[1] if h.dim() == 4 else 0
    if extra <= 0 or not torch.equal(x[:, :h.shape[1]], h):
        return None
    tail = x[:, h.shape[1]:]
    for earlier in reversed(order[:i - 1]):
        if outputs[earlier].shape == tail.shape and torch.equal(outputs[earlier], tail):
            return earlier
    return None


def describe_unet(model: nn.Module, image_shape: tuple[int, int, int] = (1, 8, 8), seed: int = 0) -> list[Block]:
    """The blocks of `model`, a reference.UNet, in forward order, from one dummy forward pass (Ho et al. 2020, §4).

    image_shape: (C, H, W) of one image. The pass uses a seeded N(0, I) image at code t = 0 on the model's device
    and dtype; a random image makes every output distinct, so the skip connections can be found by value.
    """
    p = next(model.parameters())
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((1, *image_shape), generator=generator).to(p.device, p.dtype)
    t = torch.zeros(1, dtype=torch.long, device=p.device)
    order, inputs, outputs, _, _ = _record(model, lambda: model(x, t))
    modules = top_level_blocks(model)
    missing = set(modules) - set(order)
    if missing:
        raise ValueError(f"the forward pass never called the blocks {sorted(missing)}")
    blocks, path = [], "down"
    for name in order:
        module, out = modules[name], outputs[name]
        kind = _kind(module, out, image_shape[0])
        prefix = name.split(".")[0]
        if kind == "time embedding":
            path = "embedding"
        elif prefix in ("middle", "up"):
            path = prefix
        elif kind == "output":
            path = "up"
        else:
            path = "down"
        level = 0 if out.dim() != 4 else (image_shape[1] // out.shape[2]).bit_length() - 1
        attn = sum(count_parameters(m) for m in module.modules() if isinstance(m, SelfAttention))
        blocks.append(Block(name=name, kind=kind, path=path, in_shape=tuple(inputs[name].shape[1:]),
                            out_shape=tuple(out.shape[1:]), params=count_parameters(module), attention_params=attn,
                            level=level, skip_from=_skip_source(name, order, inputs, outputs)))
    return blocks


def embedding_table(model: nn.Module, T: int) -> torch.Tensor:
    """The sinusoidal embedding (Vaswani et al. 2017, §3.5) that `model`'s time MLP reads at every code t = 0 … T−1
    (the paper's 1 … T), (T, model.t_dim): row t is timestep_embedding(t, model.t_dim)."""
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be an integer of at least 1; got {T!r}")
    return timestep_embedding(torch.arange(T), model.t_dim)


@dataclass(frozen=True)
class Capture:
    """One forward pass of ε_θ(x_t, t), looked inside.

    eps_pred: (B, C, H, W). features[name]: block `name`'s output, (B, C_out, H_out, W_out) for the image-like
    blocks, (B, D) for the time embedding. attention[name]: softmax(q·kᵀ/√C) of block `name`'s self-attention,
    (B, N, N) with N = H·W at that block's resolution, position p = row·W + column; rows sum to 1.
    """

    eps_pred: torch.Tensor
    features: dict[str, torch.Tensor]
    attention: dict[str, torch.Tensor]


def capture(model: nn.Module, x_t: torch.Tensor, t: torch.Tensor) -> Capture:
    """ε_θ(x_t, t) with every top-level block's output and every self-attention layer's weights, by forward hooks.

    x_t: (B, C, H, W); t: (B,) long, code's 0-indexed timestep (the paper's t is t + 1).
    """
    _, _, outputs, attention, eps_pred = _record(model, lambda: model(x_t, t))
    return Capture(eps_pred=eps_pred, features=outputs, attention=attention)


def strongest_channels(features: torch.Tensor, k: int) -> torch.Tensor:
    """The k channels of one block's output (C, H, W) that vary most over the image (largest standard deviation
    over H·W), strongest first: (k,) long. Flat channels carry no picture."""
    if features.dim() != 3:
        raise ValueError(f"features must be (C, H, W); got shape {tuple(features.shape)}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= features.shape[0]:
        raise ValueError(f"k must be an integer in 1 … {features.shape[0]}; got {k!r}")
    spread = features.flatten(1).std(dim=1, unbiased=False)  # (C,)
    return torch.argsort(spread, descending=True)[:k]
