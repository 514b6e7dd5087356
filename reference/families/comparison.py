"""The three other model families the lab sets beside diffusion — a VAE, a GAN and a normalising flow — as shipped
checkpoints in reference/weights/families/ (`<family>_<data>.safetensors` + `.json`), and what each family specifies.

Their manifests record, like the denoisers' (reference/checkpoints.py), the exact training command
(reference/training/families.py), seed, steps, sha256, parameter count, final loss, bits/dim on the diffusion
models' held-out data and the same sample-quality figures. `load_family` checks the file against the manifest (hash, tensor names and
shapes) before building anything, and never unpickles.

Bits/dim, in the units of the diffusion bound (reference.evaluate.bits_per_dim), on the same held-out examples:
- toys (make_toy(n=2000, seed=1), as reference.evaluate.evaluate_ddpm does): −log p(x) of a density, bits per coordinate —
  the flow's exact value, the VAE's negative ELBO (and its tighter importance-weighted bound);
- digits (the first 100 test digits): −log P(x) of the discrete 8-bit bins on [−1, 1], bits per pixel — the
  flow's uniform-dequantisation bound, the VAE's negative ELBO with a discretised decoder (eq. 13 of Ho et al.).
Each is an upper bound on −log P (the flow's toy value is exact). A GAN has none.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import WEIGHTS_DIR, CheckpointNotFoundError, load_verified_weights
from ..device import default_device
from .flow import RealNVP, dequantized_log_prob
from .gan import MLPGAN
from .vae import importance_weighted_log_likelihood, vae_loss
from .vae_mlp import MLPVAE

FAMILIES_DIR = WEIGHTS_DIR / "families"
FAMILY_CLASSES: dict[str, type[nn.Module]] = {"vae": MLPVAE, "gan": MLPGAN, "flow": RealNVP}
FAMILIES = tuple(FAMILY_CLASSES)
FAMILY_DATA = ("moons", "digits")  # the data sets the families are shipped for
BIN_WIDTH = 2 / 255  # the 8-bit grid on [−1, 1] (reference/data.py)
ELBO_DRAWS, IW_DRAWS = 16, 256  # draws of z per held-out example: the ELBO's mean, the importance-weighted bound
DEQUANTIZATION_DRAWS = 16  # draws of u per held-out digit in the flow's dequantised bound
LATENT_VARIABLES = {"vae": "z ~ N(0, I), inferred by an encoder q_φ(z | x)",
                    "gan": "z ~ N(0, I), no inference",
                    "flow": "z = f(x), invertible, same size as x",
                    "diffusion": "x_1 … x_T, same size as x, fixed encoder q(x_t | x_0)"}
P_X = {"vae": "∫ p_θ(x | z) p(z) dz",
       "gan": "implicit: the law of G(z)",
       "flow": "N(f(x); 0, I) · |det ∂f/∂x|",
       "diffusion": "∫ p(x_T) Π_t p_θ(x_{t−1} | x_t) dx_{1:T}"}


@dataclass
class FamilyCheckpoint:
    """A loaded family model in eval mode on its device, with its `family`, `manifest` and `name`."""

    name: str
    family: str
    model: nn.Module
    manifest: dict


def family_name(family: str, data: str) -> str:
    """The shipped checkpoint's name, e.g. "flow_moons"."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    return f"{family}_{data}"


def build_family(family: str, config: dict) -> nn.Module:
    """A freshly initialised model of `family` from its config dict; ValueError for a bad family or config."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    try:
        return FAMILY_CLASSES[family](**config)
    except TypeError as e:
        raise ValueError(f"bad config for {family}: {e}") from None


def load_family(name_or_path: str | Path, device: torch.device | str | None = None) -> FamilyCheckpoint:
    """Load a shipped family checkpoint by name ("gan_moons") or by path (without suffix), onto `device`.

    1. Read the manifest; CheckpointNotFoundError if it or the weights file is missing.
    2. Compare the weights' sha256 with the manifest's; ValueError if they differ.
    3. Build the model from family and config; ValueError unless every tensor name and shape matches.
    """
    stem = Path(name_or_path) if "/" in str(name_or_path) else FAMILIES_DIR / str(name_or_path)
    manifest_path, weights = stem.with_suffix(".json"), stem.with_suffix(".safetensors")
    if not manifest_path.is_file() or not weights.is_file():  # 1.
        shipped = ", ".join(sorted(p.stem for p in FAMILIES_DIR.glob("*.json"))) or "none"
        raise CheckpointNotFoundError(f"no family checkpoint at {stem} (.json and .safetensors); shipped: {shipped}")
    manifest = json.loads(manifest_path.read_text())
    model = build_family(manifest["family"], manifest["model"]["config"])
    load_verified_weights(model, weights, manifest["sha256"], manifest["family"])  # 2., 3.
    device = default_device() if device is None else torch.device(device)
    return FamilyCheckpoint(stem.name, manifest["family"], model.to(device).eval(), manifest)


def family_samples(model: nn.Module, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n samples (n, *S) of a family model. A VAE with the discrete decoder (the digits) shows its decoder means
    μ_θ(z), as VAE figures do; a continuous one draws x ~ p_θ(x | z)."""
    with torch.no_grad():
        if isinstance(model, MLPVAE):
            return model.sample(n, generator, mean_only=model.likelihood == "discrete")
        return model.sample(n, generator)


def sampling_passes(model: nn.Module) -> int:
    """Network passes per sample: the VAE's decoder and the GAN's generator once, the flow's K coupling networks."""
    return len(model.nets) if isinstance(model, RealNVP) else 1


def heldout_bits_per_dim(model: nn.Module, x0: torch.Tensor, discrete: bool, seed: int = 0) -> dict:
    """Bits/dim of a family model on held-out x0 (B, *S) in the units of the diffusion bound (see the module's
    docstring): {"bits_per_dim", "likelihood": "exact", "bound" or "none"} and, for the VAE, "iw_bits_per_dim"
    (Burda et al.'s bound, IW_DRAWS draws).
    `discrete`: x0 lies on the 8-bit grid (the digits) and the number is −log P of its bins — the flow's by uniform
    dequantisation, the VAE's through its discrete decoder; otherwise −log p of a density."""
    if isinstance(model, MLPVAE) and discrete != (model.likelihood == "discrete"):
        raise ValueError(f"a VAE with the {model.likelihood} decoder gives no {'discrete' if discrete else 'density'}"
                         " likelihood")
    generator = torch.Generator(device=x0.device).manual_seed(seed)
    dims = x0[0].numel()

    def bits(nats: torch.Tensor) -> float:
        return float(nats.mean() / (dims * math.log(2)))

    with torch.no_grad():
        if isinstance(model, MLPGAN):
            return {"bits_per_dim": None, "likelihood": "none"}
        if isinstance(model, RealNVP):
            if not discrete:  # the toys: a density, exact
                return {"bits_per_dim": bits(-model.log_prob(x0)), "likelihood": "exact"}
            draws = [-dequantized_log_prob(model, x0, torch.rand(x0.shape, generator=generator, device=x0.device),
                                           BIN_WIDTH) for _ in range(DEQUANTIZATION_DRAWS)]
            return {"bits_per_dim": bits(torch.stack(draws).mean(0)), "likelihood": "bound"}
        latent = (len(x0), model.latent_dim)
        elbo = [vae_loss(model, x0, torch.randn(latent, generator=generator, device=x0.device)).loss
                for _ in range(ELBO_DRAWS)]
        iw = importance_weighted_log_likelihood(
            model, x0, torch.randn((IW_DRAWS, *latent), generator=generator, device=x0.device))
        return {"bits_per_dim": bits(torch.stack(elbo).mean(0)), "likelihood": "bound", "iw_bits_per_dim": bits(-iw)}
