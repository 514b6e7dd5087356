"""The lab's denoisers ε_θ(x_t, t), built by class name from the plain config dict a checkpoint manifest stores.

MLPDenoiser for 2-D toy data (reference/nets/mlp.py), UNet for (B, 1, 8, 8) digits (reference/nets/unet.py); both are
`model(x_t, t) -> eps_pred` with t a (B,) long tensor, 0-indexed. With `num_classes` in the config they are
class-conditional, `model(x_t, t, y)` with y (B,) long and None for the null label (reference/nets/labels.py), for
classifier-free guidance (reference/diffusion/guidance.py).
"""
from __future__ import annotations

from torch import nn

from .embeddings import timestep_embedding
from .mlp import MLPDenoiser
from .unet import UNet

MODEL_CLASSES: dict[str, type[nn.Module]] = {"MLPDenoiser": MLPDenoiser, "UNet": UNet}

__all__ = ["MODEL_CLASSES", "MLPDenoiser", "UNet", "build_model", "count_parameters", "timestep_embedding"]


def build_model(class_name: str, config: dict) -> nn.Module:
    """A freshly initialised `class_name(**config)`; ValueError for an unknown class or config key."""
    if class_name not in MODEL_CLASSES:
        raise ValueError(f"unknown model class {class_name!r}; choose one of {', '.join(MODEL_CLASSES)}")
    if not isinstance(config, dict):
        raise ValueError(f"model config must be a dict; got {type(config).__name__}")
    try:
        return MODEL_CLASSES[class_name](**config)
    except TypeError as e:
        raise ValueError(f"bad config for {class_name}: {e}") from None


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in `model`."""
    return sum(p.numel() for p in model.parameters())
