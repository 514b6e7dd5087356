"""The model loader: shipped checkpoints and the digits, loaded once per process (the server's, the compute
process's or a Dask worker's) and shared by every session. Nothing here is mutated after loading."""
from __future__ import annotations

import functools
import threading

import torch

import reference
from reference import checkpoints, data
from reference.data import TOY_HELDOUT_SEED

_loaded: dict[str, checkpoints.Checkpoint] = {}
_loading = threading.Lock()  # two sessions asking for one model at once load it once


def checkpoint(name: str) -> checkpoints.Checkpoint:
    """Shipped model `name` in eval mode on `reference.default_device()`, loaded on first use."""
    with _loading:
        if name not in _loaded:
            _loaded[name] = checkpoints.load_checkpoint(name, device=reference.default_device())
        return _loaded[name]


@functools.lru_cache(maxsize=1)
def digits_split() -> data.DigitsSplit:
    """The digits' fixed train/test split, (N, 1, 8, 8) in [−1, 1]."""
    return data.load_digits_split()


def held_out(name: str, n: int) -> torch.Tensor:
    """n held-out examples of a checkpoint's data, (n, *S): the digits' test split, or toy points from the seed
    training never draws."""
    data_name = checkpoint(name).manifest["data"]
    if data_name == "digits":
        return digits_split().x_test[:n]
    return data.make_toy(data_name, n, seed=TOY_HELDOUT_SEED)
