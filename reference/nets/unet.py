"""ε_θ(x_t, t) for small images: the U-Net of Ho et al. 2020 (§4, Appendix B), scaled down to 8×8 digits.

ResNet blocks with GroupNorm, the time embedding added in every block, self-attention at the lowest resolution,
skip connections from every down unit to its mirror in the up path.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .embeddings import timestep_embedding
from .labels import LabelEmbedding, no_labels


class ResBlock(nn.Module):
    """h = conv(SiLU(GN(x))) + W·emb(t); h = conv(dropout(SiLU(GN(h)))); return skip(x) + h."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, groups: int, dropout: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.emb(nn.functional.silu(emb))[:, :, None, None]  # the time embedding, added in every block
        h = self.conv2(self.dropout(nn.functional.silu(self.norm2(h))))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Single-head self-attention over the H·W positions, with a residual connection (Vaswani et al. 2017, §3.2;
    Ho et al. 2020, Appendix B): x + proj(softmax(q·kᵀ/√C)·v)."""

    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def queries_keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q, k, v of the positions of x (B, C, H, W), each (B, HW, C), position p = row·W + column."""
        B, C, H, W = x.shape
        return self.qkv(self.norm(x)).reshape(B, 3, C, H * W).transpose(2, 3).unbind(1)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """softmax(q·kᵀ/√C) over the keys, (B, HW, HW): row p says how much query position p takes from each
        position. The weights that scaled_dot_product_attention applies, unseen, in `forward`."""
        q, k, _ = self.queries_keys_values(x)
        return torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        q, k, v = self.queries_keys_values(x)  # each (B, HW, C)
        h = nn.functional.scaled_dot_product_attention(q, k, v)  # (B, HW, C)
        return x + self.proj(h.transpose(1, 2).reshape(B, C, H, W))


class Downsample(nn.Module):
    """Halve H and W with a stride-2 3×3 convolution."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Upsample(nn.Module):
    """Double H and W: nearest neighbour, then a 3×3 convolution."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return self.conv(nn.functional.interpolate(x, scale_factor=2, mode="nearest"))


class Unit(nn.Module):
    """A ResBlock, followed by self-attention when `attention` is set."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, groups: int, dropout: float, attention: bool):
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, emb_dim, groups, dropout)
        self.attn = SelfAttention(out_ch, groups) if attention else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.res(x, emb)
        return h if self.attn is None else self.attn(h, emb)


class UNet(nn.Module):
    """model(x_t, t, y=None) -> eps_pred for x_t of shape (B, in_ch, H, W), H and W divisible by 2^(levels − 1).

    channels·channel_mults[i] channels at level i (resolution H / 2^i); `blocks` units per level on the way down,
    `blocks + 1` on the way up; attention at the last (lowest) level and in the middle.
    With `num_classes`, class-conditional: a learned embedding of y (B,) long, None meaning the null label ∅
    (reference/nets/labels.py), is added to the time embedding. Built from its plain `config` dict, which the checkpoint
    manifest stores (num_classes only when set, so that an unconditional config holds no label setting).
    """

    def __init__(self, in_ch: int = 1, channels: int = 32, channel_mults: list[int] | tuple[int, ...] = (1, 2),
                 blocks: int = 1, groups: int = 8, dropout: float = 0.0, num_classes: int | None = None):
        super().__init__()
        channel_mults = list(channel_mults)
        for key, value in {"in_ch": in_ch, "channels": channels, "blocks": blocks, "groups": groups}.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"UNet {key} must be a positive integer; got {value!r}")
        if not channel_mults or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in channel_mults):
            raise ValueError(f"UNet channel_mults must be a non-empty list of positive integers; got {channel_mults!r}")
        if any(channels * m % groups for m in channel_mults):
            raise ValueError(f"UNet groups must divide every level's channels {[channels * m for m in channel_mults]}; "
                             f"got {groups}")
        if not 0 <= dropout < 1:
            raise ValueError(f"UNet dropout must lie in [0, 1); got {dropout!r}")
        self.config = {"in_ch": in_ch, "channels": channels, "channel_mults": channel_mults, "blocks": blocks,
                       "groups": groups, "dropout": dropout}
        if num_classes is not None:
            self.config["num_classes"] = num_classes
        self.levels = len(channel_mults)
        emb_dim = 4 * channels
        self.t_dim = channels
        self.time_mlp = nn.Sequential(nn.Linear(channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(in_ch, channels, 3, padding=1)

        # 1. Down path: every unit's output is kept as a skip connection.
        self.down = nn.ModuleList()
        skip_ch, ch = [channels], channels
        for i, mult in enumerate(channel_mults):
            lowest = i == self.levels - 1
            for _ in range(blocks):
                self.down.append(Unit(ch, channels * mult, emb_dim, groups, dropout, attention=lowest))
                ch = channels * mult
                skip_ch.append(ch)
            if not lowest:
                self.down.append(Downsample(ch))
                skip_ch.append(ch)

        # 2. Middle, at the lowest resolution.
        self.middle = nn.ModuleList([Unit(ch, ch, emb_dim, groups, dropout, attention=True),
                                     Unit(ch, ch, emb_dim, groups, dropout, attention=False)])

        # 3. Up path: each unit takes the concatenation with its skip.
        self.up = nn.ModuleList()
        for i, mult in reversed(list(enumerate(channel_mults))):
            lowest = i == self.levels - 1
            for _ in range(blocks + 1):
                self.up.append(Unit(ch + skip_ch.pop(), channels * mult, emb_dim, groups, dropout, attention=lowest))
                ch = channels * mult
            if i > 0:
                self.up.append(Upsample(ch))

        self.out = nn.Sequential(nn.GroupNorm(groups, ch), nn.SiLU(), nn.Conv2d(ch, in_ch, 3, padding=1))
        # 4. The label embedding, created last, so that the layers above draw the same initial weights with and
        #    without labels.
        self.label_emb = LabelEmbedding(num_classes, emb_dim) if num_classes is not None else None

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        side = 2 ** (self.levels - 1)
        if x_t.dim() != 4 or x_t.shape[2] % side or x_t.shape[3] % side:
            raise ValueError(f"x_t must be (B, C, H, W) with H and W divisible by {side}; got {tuple(x_t.shape)}")
        emb = self.time_mlp(timestep_embedding(t, self.t_dim).to(x_t.dtype))  # (B, 4·channels)
        if self.label_emb is None:
            no_labels(y, "UNet")
        else:
            emb = emb + self.label_emb(y, x_t)  # the class, added to the time embedding
        h = self.inp(x_t)
        skips = [h]
        for unit in self.down:
            h = unit(h, emb)
            skips.append(h)
        for unit in self.middle:
            h = unit(h, emb)
        for unit in self.up:
            h = unit(h, emb) if isinstance(unit, Upsample) else unit(torch.cat([h, skips.pop()], dim=1), emb)
        return self.out(h)  # (B, in_ch, H, W)
