"""Training the VAE, GAN and normalising flow of the families comparison (reference/families.py) on a toy set or the
digits, with Adam and an EMA of the weights, as reference.train trains the denoisers:

- vae: x ~ data, ε ~ N(0, I); step on the negative ELBO (Kingma & Welling eq. 10, reference/vae.py's vae_loss);
- flow: x ~ data (digits: plus uniform dequantisation noise u ~ U[0, 1) on the 8-bit grid); step on −log p(x),
  exact by the change of variables (Dinh et al. 2017 eq. 3);
- gan: x ~ data, z ~ N(0, I); a step of D on −log D(x) − log(1 − D(G(z))), then, with a fresh z, a step of G on
  the non-saturating −log D(G(z)) (Goodfellow et al. 2014, eq. 1 and §3); Adam with β1 = 0.5.

    python -m reference.train_families --family flow --data moons --steps 4000 --seed 0 \\
        --out reference/weights/families/flow_moons

writes, beside `--out`: `.safetensors` + `.json` (the EMA weights and their manifest: the exact command, config,
seed, sha256, final loss, bits/dim on the diffusion models' held-out data and the sample quality), `.loss.csv` and
`.state.safetensors` for `--resume`. Every random draw comes from one seeded CPU generator, so the same command (same
torch, same thread count) gives the same weights. (The GAN's EMA copy averages D too; only G is used.)
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import shlex
from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from .checkpoints import save_checkpoint
from .data import TOY_DATASETS, load_digits_split, make_toy
from .device import default_device
from .evaluate import digit_quality, digits_classifier, sliced_wasserstein, support_precision
from .families import BIN_WIDTH, FAMILIES, build_family, family_samples, heldout_bits_per_dim, sampling_passes
from .flow import dequantized_log_prob
from .gan import discriminator_loss, generator_loss
from .train import (CLIP_NORM, DIGITS_BPD_N, DIGITS_SAMPLES, TOY_HELDOUT_N, TOY_HELDOUT_SEED, _final_loss, _paths,
                    _truncate_log, training_data)
from .train_cli import add_common_arguments, check_common, common_command_args, parse_config
from .train_state import load_state, save_state
from .vae import vae_loss

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
        return shlex.join(["python", "-m", "reference.train_families", "--family", self.family, "--data", self.data,
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


def _step_loss(model, cfg: FamilyConfig, x0: torch.Tensor, generator: torch.Generator, optimizer) -> list[float]:
    """One training step (see the module's docstring); returns the logged losses (the first one is "loss")."""
    B = len(x0)

    def descend(loss: torch.Tensor, parameters) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        parameters = list(parameters)
        keep = {id(p) for p in parameters}
        for p in model.parameters():  # only `parameters` move: the other network's gradient is dropped
            if id(p) not in keep:
                p.grad = None
        torch.nn.utils.clip_grad_norm_(parameters, CLIP_NORM)
        optimizer.step()

    if cfg.family == "vae":
        out = vae_loss(model, x0, torch.randn((B, model.latent_dim), generator=generator))
        values = [out.loss.mean(), out.kl.mean()]
        descend(values[0], model.parameters())
    elif cfg.family == "flow":
        if cfg.discrete:
            loss = -dequantized_log_prob(model, x0, torch.rand(x0.shape, generator=generator), BIN_WIDTH).mean()
        else:
            loss = -model.log_prob(x0).mean()
        values = [loss]
        descend(loss, model.parameters())
    else:
        d_loss = discriminator_loss(model, x0, torch.randn((B, model.latent_dim), generator=generator)).mean()
        descend(d_loss, model.discriminator.parameters())
        g_loss = generator_loss(model, torch.randn((B, model.latent_dim), generator=generator)).mean()
        descend(g_loss, model.generator.parameters())
        values = [g_loss, d_loss]
    return [v.item() for v in values]


def train(cfg: FamilyConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train cfg.family on cfg.data for cfg.steps steps (continuing from the saved state with `resume`); returns the
    manifest.

    1. Seed: torch.manual_seed(seed) initialises the model; a CPU generator seeded with `seed` draws every batch.
    2. Each step: `_step_loss` (Adam, the gradient's norm clipped).
    3. EMA: θ_ema ← d·θ_ema + (1 − d)·θ with d = min(ema_decay, (1 + step)/(10 + step)).
    4. Save the EMA weights and the manifest (bits/dim and sample quality unless cfg.evaluate is off).
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = default_device()
    paths = _paths(cfg.out)
    x_all = training_data(cfg.data)  # (N, *S), on the CPU

    torch.manual_seed(cfg.seed)  # 1.
    model = build_family(*cfg.model_spec).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=ADAM_BETAS[cfg.family])
    generator = torch.Generator().manual_seed(cfg.seed)
    start = load_state(paths["state"], cfg, model, ema, optimizer, generator) if resume else 0
    if start > cfg.steps:
        raise ValueError(f"--steps {cfg.steps} is below the {start} steps the saved state has already run")

    columns = {"vae": "loss,kl", "flow": "loss", "gan": "loss,discriminator_loss"}[cfg.family]
    paths["stem"].parent.mkdir(parents=True, exist_ok=True)
    if resume:
        _truncate_log(paths["csv"], start)
    else:
        paths["csv"].write_text(f"step,{columns}\n")
    window: list[list[float]] = []
    model.train()
    with paths["csv"].open("a") as log:
        for step in tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not progress,
                         desc=f"train {cfg.family} {cfg.data}"):
            idx = torch.randint(len(x_all), (cfg.batch_size,), generator=generator)  # 2.
            values = _step_loss(model, cfg, x_all[idx].to(device), generator, optimizer)
            if not all(math.isfinite(v) for v in values):
                raise FloatingPointError(f"the {cfg.family} loss became {values} at step {step}; lower --lr")
            decay = min(cfg.ema_decay, (1 + step) / (10 + step))  # 3.
            with torch.no_grad():
                for p_ema, p in zip(ema.parameters(), model.parameters()):
                    p_ema.lerp_(p, 1 - decay)
            window.append(values)
            if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
                means = [sum(col) / len(col) for col in zip(*window)]
                log.write(f"{step + 1}," + ",".join(f"{m:.6f}" for m in means) + "\n")
                window = []
            if (step + 1) % cfg.save_every == 0 and step + 1 < cfg.steps:
                log.flush()
                save_state(paths["state"], cfg, step + 1, model, ema, optimizer, generator)
    save_state(paths["state"], cfg, cfg.steps, model, ema, optimizer, generator)

    ema.eval()  # 4.
    manifest = {"family": cfg.family, "data": cfg.data, "steps": cfg.steps, "seed": cfg.seed,
                "batch_size": cfg.batch_size, "lr": cfg.lr, "adam_betas": list(ADAM_BETAS[cfg.family]),
                "ema_decay": cfg.ema_decay, "command": cfg.command(),
                "final_loss": _final_loss(paths["csv"], cfg.log_every), "final_loss_means": LOSS_MEANS[cfg.family],
                "sampling_passes": sampling_passes(ema), "trained_on": str(device)}
    manifest |= evaluate(ema, cfg) if cfg.evaluate else {"bits_per_dim": None, "quality": None}
    return save_checkpoint(ema, cfg.family, manifest, paths["stem"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.train_families", description=__doc__.split("\n\n")[0])
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
