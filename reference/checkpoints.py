"""Trained denoisers shipped with the lab: `<name>.safetensors` (EMA weights) + `<name>.json` (manifest).

The manifest records what is needed to rebuild and trust the weights: the data, the schedule (name, params, T),
the model class and its config dict, the parameter count, the training command, steps and seed, the final loss,
bits/dim on held-out data, the sample-quality figure, the decoding choices ("sampling", see `Sampling`) and the
sha256 of the weights file. Loading checks the file
against the manifest (hash, tensor names and shapes) before building anything, and never unpickles.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .device import default_device
from .nets.models import build_model, count_parameters
from .diffusion.schedules import Schedule

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST_KEYS = ("data", "schedule", "T", "model", "param_count", "steps", "seed", "command", "final_loss",
                 "bits_per_dim", "quality", "sha256")


TOY_DDIM_CLIP = 4.0  # every 2-D set lies within ±2.2; see Sampling.ddim_clip_x0


@dataclass(frozen=True)
class Sampling:
    """A model's decoding choices, stored under the manifest's "sampling" key:

    - decoder: the bound's L_0, "continuous" (a Gaussian density, 2-D points) or "discrete" (8-bit images in
      [−1, 1], Ho et al. eq. 13);
    - clip_x0: the range Algorithm 2 clips x̂0 to, or None (no clipping); the digits' [−1, 1];
    - ddim_clip_x0: the range DDIM clips x̂0 to. DDIM from t = T (trailing spacing) divides by √ᾱ_T ≈ 4.9e-5 on
      the shipped schedules (eq. 15), magnifying the model's ε error about 20 000-fold at its first step, so DDIM
      always clips: to the data's range for digits, to ±TOY_DDIM_CLIP for the 2-D sets.
    """

    decoder: str
    clip_x0: float | None
    ddim_clip_x0: float

    @classmethod
    def for_data(cls, data: str) -> Sampling:
        """The choices the lab made before manifests recorded them: digits clip to ±1 and use the discrete decoder;
        2-D sets use the continuous one, no clipping in Algorithm 2 and ±TOY_DDIM_CLIP in DDIM."""
        if data == "digits":
            return cls(decoder="discrete", clip_x0=1.0, ddim_clip_x0=1.0)
        return cls(decoder="continuous", clip_x0=None, ddim_clip_x0=TOY_DDIM_CLIP)

    @classmethod
    def from_manifest(cls, entry: dict) -> Sampling:
        """The manifest's "sampling" entry, checked: ValueError naming a missing key or a bad value."""
        missing = [k for k in ("decoder", "clip_x0", "ddim_clip_x0") if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise ValueError(f"the manifest's sampling entry lacks the keys {missing}; got {entry!r}")
        if entry["decoder"] not in ("continuous", "discrete"):
            raise ValueError(f"sampling decoder must be 'continuous' or 'discrete'; got {entry['decoder']!r}")
        for key in ("clip_x0", "ddim_clip_x0"):
            value = entry[key]
            if (value is not None or key == "ddim_clip_x0") and not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"sampling {key} must be a positive number{' or null' if key == 'clip_x0' else ''}; "
                                 f"got {value!r}")
        return cls(decoder=entry["decoder"], clip_x0=entry["clip_x0"], ddim_clip_x0=float(entry["ddim_clip_x0"]))

    def to_manifest(self) -> dict:
        """The manifest's "sampling" entry, as reference/training/trainer.py writes it."""
        return {"decoder": self.decoder, "clip_x0": self.clip_x0, "ddim_clip_x0": self.ddim_clip_x0}


class CheckpointNotFoundError(FileNotFoundError):
    """A checkpoint name or path that leads to no manifest or no weights file."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: `model` in eval mode on its device, its `schedule`, the `manifest` and the `name`."""

    name: str
    model: nn.Module
    schedule: Schedule
    manifest: dict

    @property
    def prediction(self) -> str:
        """What the model outputs: "eps" (the default of older manifests), "x0" or "v" (reference.PREDICTIONS)."""
        return self.manifest.get("prediction", "eps")

    @property
    def sampling(self) -> Sampling:
        """How to decode and sample this model, from the manifest's "sampling" key (see `Sampling`); a manifest
        without it (written before the key existed) gets `Sampling.for_data` of its data."""
        if "sampling" not in self.manifest:
            return Sampling.for_data(self.manifest["data"])
        return Sampling.from_manifest(self.manifest["sampling"])

    @property
    def example_shape(self) -> tuple[int, ...]:
        """S, the shape of one example: (1, 8, 8) for the digits, (2,) for the 2-D sets."""
        return (1, 8, 8) if self.manifest["data"] == "digits" else (2,)


def available_checkpoints(directory: Path | str = WEIGHTS_DIR) -> list[str]:
    """Names of the checkpoints in `directory` that have both a manifest and a weights file, sorted."""
    directory = Path(directory)
    return sorted(p.stem for p in directory.glob("*.json") if p.with_suffix(".safetensors").is_file())


def sha256_of(path: Path | str) -> str:
    """The hex sha256 of the file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def schedule_from_manifest(manifest: dict) -> Schedule:
    """The reference Schedule a manifest names: Schedule.from_name(name, T, **params)."""
    spec = manifest["schedule"]
    return Schedule.from_name(spec["name"], T=manifest["T"], **spec.get("params", {}))


def save_checkpoint(model: nn.Module, class_name: str, manifest: dict, path: Path | str) -> dict:
    """Write `path`.safetensors and `path`.json; fills in model class/config, param count and sha256.

    Returns the manifest as written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = path.with_suffix(".safetensors")
    save_file({k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}, str(weights))
    manifest = {**manifest, "model": {"class": class_name, "config": model.config},
                "param_count": count_parameters(model), "sha256": sha256_of(weights)}
    path.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _resolve(name_or_path: str | Path) -> tuple[str, Path]:
    """(name, path without suffix) for a shipped name or a path to a .json/.safetensors file or its stem."""
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.endswith((".json", ".safetensors")):
        stem = WEIGHTS_DIR / text
        if not stem.with_suffix(".json").is_file():
            shipped = ", ".join(available_checkpoints()) or "none"
            raise CheckpointNotFoundError(f"no checkpoint named {text!r}; shipped checkpoints: {shipped}")
        return text, stem
    path = Path(text)
    stem = path.with_suffix("") if path.suffix in (".json", ".safetensors") else path
    return stem.name, stem


def read_manifest(stem: Path) -> dict:
    """The manifest at `stem`.json, checked to hold every key of MANIFEST_KEYS."""
    manifest_path = stem.with_suffix(".json")
    if not manifest_path.is_file():
        raise CheckpointNotFoundError(f"checkpoint manifest {manifest_path} does not exist")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"checkpoint manifest {manifest_path} is not valid JSON: {e}") from None
    missing = [k for k in MANIFEST_KEYS if not isinstance(manifest, dict) or k not in manifest]
    if missing:
        raise ValueError(f"checkpoint manifest {manifest_path} lacks the keys {missing}")
    return manifest


def load_verified_weights(model: nn.Module, weights: Path, sha256: str, what: str) -> None:
    """Load the safetensors file `weights` into `model` after checking it: ValueError if its sha256 is not the
    manifest's `sha256` (corrupt or replaced), if it is not a readable safetensors file, or unless every tensor name
    and shape matches the model's (`what` names the model in that message). Never unpickles."""
    digest = sha256_of(weights)
    if digest != sha256:
        raise ValueError(f"checkpoint weights {weights} are corrupt or replaced: sha256 {digest} does not match "
                         f"the manifest's {sha256}")
    try:
        state = load_file(str(weights))
    except SafetensorError as e:
        raise ValueError(f"checkpoint weights {weights} are not a readable safetensors file: {e}") from None
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(f"{k}: file {found.get(k)} vs config {expected.get(k)}"
                      for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        raise ValueError(f"checkpoint {weights} does not match its manifest's {what} config: "
                         + "; ".join(diff[:5]) + (f" (and {len(diff) - 5} more)" if len(diff) > 5 else ""))
    model.load_state_dict(state)


def load_checkpoint(name_or_path: str | Path, device: torch.device | str | None = None) -> Checkpoint:
    """Load a shipped checkpoint by name ("moons") or any checkpoint by path, onto `device` (default_device()).

    1. Read the manifest; CheckpointNotFoundError (a FileNotFoundError) if it or the weights file is missing.
    2. Compare the weights file's sha256 with the manifest's; ValueError if they differ (corrupt or replaced).
    3. Build the model from the manifest's class and config; ValueError unless every tensor name and shape
       in the file matches the model's.
    4. Read the decoding choices (`Checkpoint.sampling`); ValueError naming a bad "sampling" entry.
    """
    name, stem = _resolve(name_or_path)
    manifest = read_manifest(stem)  # 1.
    weights = stem.with_suffix(".safetensors")
    if not weights.is_file():
        raise CheckpointNotFoundError(f"checkpoint weights {weights} do not exist (manifest {stem}.json does)")
    model = build_model(manifest["model"]["class"], manifest["model"]["config"])
    load_verified_weights(model, weights, manifest["sha256"], manifest["model"]["class"])  # 2., 3.
    device = default_device() if device is None else torch.device(device)
    checkpoint = Checkpoint(name=name, model=model.to(device).eval(), schedule=schedule_from_manifest(manifest),
                            manifest=manifest)
    checkpoint.sampling  # 4. ValueError now, not at the first sample, for a bad "sampling" entry
    return checkpoint
