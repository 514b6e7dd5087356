"""A training run's state on disk, for `--resume`: model, EMA, Adam moments, the generator and the step, with the
settings it was saved under, so that a resumed run equals an uninterrupted one. Used by every trainer through
reference/training/loop.py's StepTrainer.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

UNKEYED = ("steps", "evaluate", "save_every", "model_config")  # settings a resumed run may change (or records as model)


def resume_key(cfg) -> dict:
    """The settings a resumed run must share with the saved one: the config's fields but UNKEYED (and those its
    optional `unkeyed` names), and its model."""
    skip = UNKEYED + tuple(getattr(cfg, "unkeyed", ()))
    key = {k: v for k, v in asdict(cfg).items() if k not in skip}
    return json.loads(json.dumps({**key, "model": cfg.model_spec}))


def save_state(path: Path, cfg, step: int, model, ema, optimizer, generator) -> None:
    """Everything needed to continue bit-identically: weights, EMA, Adam moments, generator state, step."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors |= {f"ema.{k}": v for k, v in ema.state_dict().items()}
    for i, state in optimizer.state_dict()["state"].items():
        tensors |= {f"adam.{i}.{k}": torch.as_tensor(v) for k, v in state.items()}
    tensors["generator"] = generator.get_state()
    tensors["step"] = torch.tensor(step)
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path),
              metadata={"config": json.dumps(resume_key(cfg))})


def load_state(path: Path, cfg, model, ema, optimizer, generator) -> int:
    """Restore what save_state wrote; returns the step to continue from. ValueError if cfg differs from the saved
    settings (all but UNKEYED)."""
    if not path.is_file():
        raise FileNotFoundError(f"--resume needs the training state {path}, which does not exist")
    with safe_open(str(path), "pt") as f:
        saved = json.loads(f.metadata()["config"])
    now = resume_key(cfg)
    changed = {k: (saved.get(k), v) for k, v in now.items() if saved.get(k) != v}
    if changed:
        raise ValueError(f"--resume with different settings than {path} was saved with (saved, now): {changed}")
    tensors = load_file(str(path))
    device = next(model.parameters()).device
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
    state: dict[int, dict] = {}
    for key, v in tensors.items():
        if key.startswith("adam."):
            _, i, name = key.split(".")
            state.setdefault(int(i), {})[name] = v if name == "step" else v.to(device)
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    generator.set_state(tensors["generator"])
    return int(tensors["step"])
