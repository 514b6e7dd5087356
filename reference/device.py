"""The one place that picks where the lab computes: CUDA when present, else the CPU."""
from __future__ import annotations

import torch


def default_device() -> torch.device:
    """torch.device("cuda") when a GPU is visible, else torch.device("cpu")."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device: torch.device | None = None) -> str:
    """A human name for the device: the GPU's model, or "CPU"."""
    device = default_device() if device is None else torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
