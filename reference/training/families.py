"""Training the VAE, GAN and normalising flow of the families comparison (reference/families/comparison.py) on a toy set or the
digits, with Adam and an EMA of the weights, by the loop reference/training/loop.py runs for every trainer:

- vae: x ~ data, ε ~ N(0, I); step on the negative ELBO (Kingma & Welling eq. 10, reference/families/vae.py's vae_loss);
- flow: x ~ data (digits: plus uniform dequantisation noise u ~ U[0, 1) on the 8-bit grid); step on −log p(x),
  exact by the change of variables (Dinh et al. 2017 eq. 3);
- gan: x ~ data, z ~ N(0, I); a step of D on −log D(x) − log(1 − D(G(z))), then, with a fresh z, a step of G on
  the non-saturating −log D(G(z)) (Goodfellow et al. 2014, eq. 1 and §3); Adam with β1 = 0.5.

    python -m reference.training.families --family flow --data moons --steps 4000 --seed 0 \\
        --out reference/weights/families/flow_moons

writes, beside `--out`: `.safetensors` + `.json` (the EMA weights and their manifest: the exact command, config,
seed, sha256, final loss, bits/dim on the diffusion models' held-out data and the sample quality), `.loss.csv` and
`.state.safetensors` for `--resume`. Every random draw comes from one seeded CPU generator, so the same command (same
torch, same thread count) gives the same weights. (The GAN's EMA copy averages D too; only G is used.)
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
from dataclasses import dataclass, field

import torch

from ..checkpoints import save_checkpoint
from ..data import TOY_DATASETS, TOY_HELDOUT_N, TOY_HELDOUT_SEED, load_digits_split, make_toy
from ..device import default_device
from ..evaluate import (DIGITS_BPD_N, DIGITS_SAMPLES, digit_quality, digits_classifier, sliced_wasserstein,
                        support_precision)
from ..families.comparison import BIN_WIDTH, FAMILIES, build_family, family_samples, heldout_bits_per_dim, sampling_passes
from ..families.flow import dequantized_log_prob
from ..families.gan import discriminator_loss, generator_loss
from ..families.vae import vae_loss
from .loop import (StepTrainer, add_common_arguments, check_common, common_command_args, final_loss, parse_config, run,
                   set_threads)
from .trainer import training_data

DATASETS = TOY_DATASETS + ("digits",)
DEFAULT_CONFIGS = {  # (family, "toy" or "digits") -> the model config
    ("vae", "toy"): {"data_shape": [2], "latent_dim": 2, "hidden": 128, "layers": 2, "decoder": "continuous"},
    ("vae", "digits"): {"data_shape": [1, 8, 8], "latent_dim": 8, "hidden": 256, "layers": 2, "decoder": "discrete"},
    ("gan", "toy"): {"data_shape": [2], "latent_dim": 2, "hidden": 128, "layers": 3, "tanh_output": False,
                     "spectral_norm": True},
    ("gan", "digits"): {"data_shape": [1, 8, 8], "latent_dim": 16, "hidden": 256, "layers": 2, "tanh_output": True,
                        "spectral_norm": True},
    ("flow", "toy"): {"data_shape": [2], "couplings": 8, "hidden": 64, "layers": 2},
    ("flow", "digits"): {"data_shape": [1, 8, 8], "couplings": 8, "hidden": 128, "layers": 2},
}
ADAM_BETAS = {"vae": (0.9, 0.999), "flow": (0.9, 0.999), "gan": (0.5, 0.999)}  # GAN: β1 = 0.5 (Radford et al.)
LOSS_MEANS = {"vae": "negative ELBO (K&W eq. 10), nats per training example, one draw of ε",
              "flow": "−log p(x) (Dinh et al. eq. 3), nats per training example (digits: dequantised, + D·log Δ)",
              "gan": "generator's non-saturating −log D(G(z)), nats; the loss log also has D's loss"}


@dataclass
class FamilyConfig:
    """Everything a run depends on; `command()` spells it out as the exact CLI line the manifest records."""

    family: str
    data: str
    out: str
    steps: int = 4000
    seed: int = 0
    batch_size: int = 256
    lr: float = 1e-3
    ema_decay: float = 0.995
    model_config: dict = field(default_factory=dict)  # overrides of DEFAULT_CONFIGS
    threads: int = 0
    log_every: int = 10
    save_every: int = 1000
    evaluate: bool = True

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}; choose one of {', '.join(FAMILIES)}")
        if self.data not in DATASETS:
            raise ValueError(f"unknown data {self.data!r}; choose one of {', '.join(DATASETS)}")
        check_common(self)

    @property
    def discrete(self) -> bool:
        """Whether the data lie on the 8-bit grid (the digits)."""
        return self.data == "digits"

    @property
    def model_spec(self) -> tuple[str, dict]:
        return self.family, {**DEFAULT_CONFIGS[self.family, "digits" if self.discrete else "toy"], **self.model_config}

    def command(self) -> str:
        head, tail = common_command_args(self, self.model_spec[1])
        return shlex.join(["python", "-m", "reference.training.families", "--family", self.family, "--data", self.data,
                           *head, *tail, "--out", self.out])


def heldout(data: str) -> tuple[torch.Tensor, str]:
    """The held-out examples the diffusion checkpoints' bits/dim use, and their description."""
    if data == "digits":
        return (load_digits_split().x_test[:DIGITS_BPD_N],
                f"first {DIGITS_BPD_N} test digits, −log P of their 8-bit bins on [−1, 1]")
    return (make_toy(data, TOY_HELDOUT_N, seed=TOY_HELDOUT_SEED),
            f"make_toy(n={TOY_HELDOUT_N}, seed={TOY_HELDOUT_SEED}), −log p of the density")


def evaluate(model, cfg: FamilyConfig) -> dict:
    """What the manifest records of a trained model (eval mode): bits/dim on the held-out data (families.
    heldout_bits_per_dim) and the sample quality the diffusion checkpoint of the same data records."""
    device = next(model.parameters()).device
    x0, text = heldout(cfg.data)
    x0 = x0.to(device)
    likelihood = {**heldout_bits_per_dim(model, x0, cfg.discrete, cfg.seed), "bits_per_dim_data": text}
    generator = torch.Generator(device=device).manual_seed(cfg.seed)
    if cfg.discrete:
        samples = family_samples(model, DIGITS_SAMPLES, generator)
        quality = {"metric": "digits_classifier", "n_samples": DIGITS_SAMPLES, "sample_seed": cfg.seed,
                   **digit_quality(samples, digits_classifier())}
    else:
        samples = family_samples(model, len(x0), generator)
        gaussian = torch.randn(x0.shape, generator=torch.Generator().manual_seed(cfg.seed))
        quality = {"metric": "sliced_wasserstein", "n_samples": len(x0), "sample_seed": cfg.seed,
                   "heldout_seed": TOY_HELDOUT_SEED, "value": sliced_wasserstein(samples, x0),
                   "gaussian_baseline": sliced_wasserstein(gaussian, x0),
                   "support_precision": support_precision(samples, x0),
                   "support_precision_gaussian": support_precision(gaussian, x0)}
    return {**likelihood, "quality": quality}


class FamilyTrainer(StepTrainer):
    """A family's steps (see the module's docstring): x from the training set, the other draws from the trainer's
    generator; Adam with the family's betas. The model is initialised from torch's generator as the caller seeded it."""

    def __init__(self, cfg: FamilyConfig, model: torch.nn.Module, x_all: torch.Tensor):
        super().__init__(cfg, model, ADAM_BETAS[cfg.family])
        self.x_all = x_all  # (N, *S), on the CPU
        self.device = next(model.parameters()).device

    def step_losses(self) -> tuple[float, ...]:
        """One step; returns the logged losses, the first one "loss" (LOSS_MEANS says what it is)."""
        cfg, model = self.cfg, self.model
        idx = torch.randint(len(self.x_all), (cfg.batch_size,), generator=self.generator)
        x0 = self.x_all[idx].to(self.device)
        B = len(x0)
        if cfg.family == "vae":
            out = vae_loss(model, x0, torch.randn((B, model.latent_dim), generator=self.generator))
            values = [out.loss.mean(), out.kl.mean()]
            self.descend(values[0])
        elif cfg.family == "flow":
            if cfg.discrete:
                loss = -dequantized_log_prob(model, x0, torch.rand(x0.shape, generator=self.generator), BIN_WIDTH).mean()
            else:
                loss = -model.log_prob(x0).mean()
            values = [loss]
            self.descend(loss)
        else:
            d_loss = discriminator_loss(model, x0, torch.randn((B, model.latent_dim), generator=self.generator)).mean()
            self.descend(d_loss, model.discriminator.parameters())
            g_loss = generator_loss(model, torch.randn((B, model.latent_dim), generator=self.generator)).mean()
            self.descend(g_loss, model.generator.parameters())
            values = [g_loss, d_loss]
        losses = tuple(v.item() for v in values)
        if not all(math.isfinite(v) for v in losses):
            raise FloatingPointError(f"the {cfg.family} loss became {list(losses)} at step {self.steps_done}; "
                                     "lower --lr")
        self.end_step()
        return losses


def train(cfg: FamilyConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train cfg.family on cfg.data for cfg.steps steps (continuing from the saved state with `resume`); returns the
    manifest.

    1. Seed: torch.manual_seed(seed) initialises the model; a CPU generator seeded with `seed` draws every batch.
    2. `run` the FamilyTrainer's steps (Adam, the gradient's norm clipped; the EMA θ_ema ← d·θ_ema + (1 − d)·θ with
       d = min(ema_decay, (1 + step)/(10 + step))), logging and saving the state as they go.
    3. Save the EMA weights and the manifest (bits/dim and sample quality unless cfg.evaluate is off).
    """
    set_threads(cfg)
    device = default_device()
    x_all = training_data(cfg.data)  # (N, *S), on the CPU
    torch.manual_seed(cfg.seed)  # 1.
    trainer = FamilyTrainer(cfg, build_family(*cfg.model_spec).to(device), x_all)
    columns = {"vae": ("loss", "kl"), "flow": ("loss",), "gan": ("loss", "discriminator_loss")}[cfg.family]
    paths = run(trainer, columns, f"train {cfg.family} {cfg.data}", resume, progress)  # 2.

    ema = trainer.ema.eval()  # 3.
    manifest = {"family": cfg.family, "data": cfg.data, "steps": cfg.steps, "seed": cfg.seed,
                "batch_size": cfg.batch_size, "lr": cfg.lr, "adam_betas": list(ADAM_BETAS[cfg.family]),
                "ema_decay": cfg.ema_decay, "command": cfg.command(),
                "final_loss": final_loss(paths["csv"], cfg.log_every), "final_loss_means": LOSS_MEANS[cfg.family],
                "sampling_passes": sampling_passes(ema), "trained_on": str(device)}
    manifest |= evaluate(ema, cfg) if cfg.evaluate else {"bits_per_dim": None, "quality": None}
    return save_checkpoint(ema, cfg.family, manifest, paths["stem"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.training.families", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", required=True, choices=FAMILIES)
    parser.add_argument("--data", required=True, choices=DATASETS)
    add_common_arguments(parser, steps=4000, batch_size=256, lr=1e-3, ema_decay=0.995,
                         out_example="reference/weights/families/flow_moons")
    cfg, resume = parse_config(parser, FamilyConfig, argv)
    manifest = train(cfg, resume=resume)
    print(json.dumps({k: manifest.get(k) for k in ("final_loss", "bits_per_dim", "iw_bits_per_dim", "quality",
                                                   "sha256")}, indent=2))


if __name__ == "__main__":
    main()
