"""Training by Algorithm 1 of Ho et al. 2020: repeat { x0 ~ q(x0), t ~ U{0…T−1}, ε ~ N(0, I), gradient step on
L_simple = ‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² (eq. 14) }, with Adam and an EMA of the weights.

`Trainer.step()` is one pass of that loop. `train()` drives it (through reference/training/loop.py's `run`) for the
command line, reference/training/ddpm.py; the lab's Training page drives the same Trainer live, so both draw the same
batches and reach the same weights.

    python -m reference.training.ddpm --data moons --schedule cosine --T 1000 --steps 10000 --seed 0 \
        --out reference/weights/moons

`--num-classes 10 --label-drop 0.1` (digits; 2 for moons, y = which moon) trains a class-conditional ε_θ(x_t, t, y)
for classifier-free guidance (Ho & Salimans 2022, Algorithm 1): each label is replaced by the null label ∅ with
probability `--label-drop`, so the one network learns ε_θ(x_t, t, y) and ε_θ(x_t, t, ∅) (reference/diffusion/guidance.py).

`--data latent --vae reference/weights/latent/vae_z2` trains the same way on a VAE's standardised latents (latent
diffusion, reference/families/latent.py), and the manifest then also records the standardisation (m, s).

writes, beside `--out`: `.safetensors` + `.json` (the EMA weights and their manifest, see checkpoints.py),
`.loss.csv` (step, mean L_simple over the last `--log-every` steps) and `.state.safetensors` (model, EMA, Adam
and random-generator state, saved every `--save-every` steps and at the end, for `--resume`). Every random draw
comes from one seeded generator on the CPU, so the same command (same torch, same thread count) gives
bit-identical weights, and a resumed run equals an uninterrupted one.
"""
from __future__ import annotations

import json
import math
import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..checkpoints import Sampling, save_checkpoint
from ..data import (TOY_DATASETS, TOY_HELDOUT_N, TOY_HELDOUT_SEED, TOY_NUM_CLASSES, TOY_TRAIN_N, TOY_TRAIN_SEED,
                    load_digits_split, make_labelled_toy, make_toy)
from ..device import default_device
from ..diffusion.losses import simple_loss
from ..diffusion.options import PREDICTIONS, Prediction, ScheduleName, check_option
from ..diffusion.schedules import Schedule
from ..evaluate import DIGITS_BPD_N, evaluate_ddpm, evaluate_guidance
from ..families import latent
from ..nets.models import build_model
from .loop import StepTrainer, check_common, common_command_args, final_loss, run, set_threads

DATASETS = TOY_DATASETS + ("digits", "latent")
NUM_CLASSES = {"digits": 10, **TOY_NUM_CLASSES}  # the data sets that carry a class label y
DEFAULT_MODELS = {
    # hidden 64: 1000 DDPM steps of 2000 points in < 3 s on two CPU cores, for the Streamlit app
    "toy": ("MLPDenoiser", {"dim": 2, "hidden": 64, "layers": 3, "t_dim": 32}),
    "digits": ("UNet", {"in_ch": 1, "channels": 32, "channel_mults": [1, 2], "blocks": 1, "groups": 8,
                        "dropout": 0.0}),
    "latent": ("MLPDenoiser", {"hidden": 128, "layers": 4, "t_dim": 32}),  # dim: the VAE's latent_dim
}


@dataclass
class TrainConfig:
    """Everything a run depends on; `command()` spells it out as the exact CLI line the manifest records."""

    data: str
    out: str
    schedule: ScheduleName = "cosine"
    T: int = 1000
    steps: int = 4000
    seed: int = 0
    batch_size: int = 256
    lr: float = 1e-3
    ema_decay: float = 0.995
    model_config: dict = field(default_factory=dict)  # overrides of DEFAULT_MODELS' config
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    log_every: int = 10
    save_every: int = 1000  # steps between saves of the training state, a multiple of log_every
    evaluate: bool = True
    vae: str = ""  # data "latent" only: the VAE checkpoint (path without suffix) whose latents are the data
    prediction: Prediction = "eps"  # what the model learns to output: "eps", "x0" or "v"
    num_classes: int = 0  # 0: unconditional; else the data's classes, and ε_θ(x_t, t, y) learns them
    label_drop: float = 0.0  # the rate p_uncond at which y is replaced by ∅ (Ho & Salimans 2022: 0.1–0.2)

    def __post_init__(self):
        if self.data not in DATASETS:
            raise ValueError(f"unknown data {self.data!r}; choose one of {', '.join(DATASETS)}")
        if (self.data == "latent") != bool(self.vae):
            raise ValueError(f"--vae names the VAE of --data latent, and only then; got data {self.data!r}, "
                             f"vae {self.vae!r}")
        if isinstance(self.T, bool) or not isinstance(self.T, int) or self.T < 1:
            raise ValueError(f"T must be a positive integer; got {self.T!r}")
        check_common(self)
        Schedule.from_name(self.schedule, T=self.T)  # raises ValueError naming a bad schedule
        check_option("prediction", self.prediction, PREDICTIONS)
        if self.num_classes and self.num_classes != NUM_CLASSES.get(self.data):
            labelled = ", ".join(f"{k} {v}" for k, v in NUM_CLASSES.items())
            raise ValueError(f"num_classes must be the classes of the data ({labelled}) or 0; got "
                             f"{self.num_classes!r} for data {self.data!r}")
        if not 0 <= self.label_drop < 1 or (self.label_drop and not self.num_classes):
            raise ValueError(f"label_drop must lie in [0, 1), and be 0 without num_classes; got {self.label_drop!r}")

    @property
    def model_spec(self) -> tuple[str, dict]:
        if self.data == "latent":
            class_name, config = DEFAULT_MODELS["latent"]
            config = {"dim": json.loads(Path(self.vae).with_suffix(".json").read_text())["latent_dim"], **config}
        else:
            class_name, config = DEFAULT_MODELS["digits" if self.data == "digits" else "toy"]
        labels = {"num_classes": self.num_classes} if self.num_classes else {}
        return class_name, {**config, **labels, **self.model_config}

    @property
    def unkeyed(self) -> tuple[str, ...]:
        """Settings a resumed run may differ in beyond state.UNKEYED: an unconditional run's label settings,
        which an unconditional run's saved state does not record."""
        return () if self.num_classes else ("num_classes", "label_drop")

    def command(self) -> str:
        head, tail = common_command_args(self, self.model_spec[1])
        args = ["python", "-m", "reference.training.ddpm", "--data", self.data, *(["--vae", self.vae] if self.vae else []),
                "--schedule", self.schedule, "--T", str(self.T), *head, *tail]
        if self.prediction != "eps":
            args += ["--prediction", self.prediction]
        if self.num_classes:
            args += ["--num-classes", str(self.num_classes), "--label-drop", repr(self.label_drop)]
        return shlex.join(args + ["--out", self.out])


def training_data(data: str, vae: str = "") -> torch.Tensor:
    """x0 for training, (N, *S): a fixed toy sample (seed TOY_TRAIN_SEED), the training digits, or (data "latent")
    latent.TRAIN_DRAWS standardised draws of the VAE's q(z | x) per training digit."""
    if data == "digits":
        return load_digits_split().x_train
    if data == "latent":
        return latent.training_latents(latent.load_vae(vae, "cpu")[0], load_digits_split().x_train)[0]
    return make_toy(data, TOY_TRAIN_N, seed=TOY_TRAIN_SEED)


def training_labels(data: str) -> torch.Tensor:
    """The class labels y (N,) long of `training_data(data)`: the training digits' digits, or a labelled toy's
    classes (moons: which moon)."""
    if data == "digits":
        return load_digits_split().y_train
    if data not in TOY_NUM_CLASSES:
        raise ValueError(f"data {data!r} has no class labels; labelled: {', '.join(NUM_CLASSES)}")
    return make_labelled_toy(data, TOY_TRAIN_N, seed=TOY_TRAIN_SEED)[1]


_GLOBAL_RNG = threading.Lock()  # torch's global generator, which seeds the model's initial weights


class Trainer(StepTrainer):
    """Algorithm 1 of Ho et al. (2020), one step at a time: `train()` runs it for the command line and the lab's
    Training page runs it live, so both draw the same batches and reach the same weights.

    Built from a TrainConfig: the training set x0 (`training_data`, on the CPU), the schedule, ε_θ initialised from
    torch's generator seeded with cfg.seed, its EMA copy, Adam, and one CPU generator seeded with cfg.seed that draws
    every x0, t and ε (and, for a conditional model, which labels become ∅); `steps_done` counts the steps taken
    (reference.training.loop.StepTrainer, which also saves and loads the state).
    """

    def __init__(self, cfg: TrainConfig, device: torch.device | str | None = None,
                 x0_all: torch.Tensor | None = None):
        self.cfg = cfg
        self.device = torch.device(device) if device is not None else default_device()
        self.schedule = Schedule.from_name(cfg.schedule, T=cfg.T)
        self.x0_all = training_data(cfg.data, cfg.vae) if x0_all is None else x0_all  # (N, *S), on the CPU
        self.y_all = training_labels(cfg.data) if cfg.num_classes else None  # (N,) long, on the CPU
        if self.y_all is not None and len(self.y_all) != len(self.x0_all):
            raise ValueError(f"x0_all has {len(self.x0_all)} rows but the data's labels {len(self.y_all)}")
        self.class_name, config = cfg.model_spec
        # Seeded as torch.manual_seed(seed) would, but without reseeding the draws of anything else in the process
        # (the lab serves many sessions from one process).
        with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            model = build_model(self.class_name, config).to(self.device)
        super().__init__(cfg, model)

    def step(self) -> float:
        """One step of Algorithm 1; returns L_simple (eq. 14), the batch's mean, as a float.

        1. x0 ~ q(x0): cfg.batch_size rows of the training set; t ~ U{0…T−1} (code's t; the paper's is t + 1);
           ε ~ N(0, I). All three from `self.generator`, in this order. A conditional model then takes the rows'
           labels y, each replaced by ∅ with probability cfg.label_drop (Ho & Salimans 2022, Algorithm 1), the
           coin flips drawn next from the same generator.
        2. Adam on ∇_θ ‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² (eq. 14), the gradient's norm clipped; a model of
           x0 or v regresses that target instead (`simple_loss` with cfg.prediction).
        3. EMA: θ_ema ← d·θ_ema + (1 − d)·θ with d = min(ema_decay, (1 + step)/(10 + step)).
        """
        cfg, step = self.cfg, self.steps_done
        idx = torch.randint(len(self.x0_all), (cfg.batch_size,), generator=self.generator)  # 1.
        t = torch.randint(cfg.T, (cfg.batch_size,), generator=self.generator)
        x0 = self.x0_all[idx]  # (B, *S)
        eps = torch.randn(x0.shape, generator=self.generator)
        model = self.model
        if self.y_all is not None:
            drop = torch.rand(cfg.batch_size, generator=self.generator) < cfg.label_drop
            y = self.y_all[idx].masked_fill(drop, cfg.num_classes).to(self.device)  # (B,), ∅ = num_classes
            model = lambda x_t, t: self.model(x_t, t, y)  # noqa: E731
        loss = simple_loss(model, x0.to(self.device), t.to(self.device), self.schedule,  # 2.
                           eps.to(self.device), cfg.prediction).mean()
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"L_simple became {value} at step {step}; lower the learning rate (--lr)")
        self.descend(loss)
        self.end_step()  # 3.
        return value

    def step_losses(self) -> tuple[float]:
        """`step()` as the loop logs it: (L_simple,)."""
        return (self.step(),)


def evaluate(model, schedule: Schedule, data: str, seed: int, vae: str = "", prediction: Prediction = "eps"
             ) -> tuple[float, dict]:
    """(bits/dim on held-out data, the sample-quality figure) for a trained model in eval mode, which outputs
    `prediction`: reference.evaluate.evaluate_ddpm, or for data "latent" the latent DDPM's figures."""
    if data == "latent":
        device = next(model.parameters()).device
        return latent.evaluate_latent_ddpm(model, schedule, latent.load_vae(vae, device)[0], seed)
    return evaluate_ddpm(model, schedule, data, seed, prediction)


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run Algorithm 1 for cfg.steps steps of `Trainer.step` (continuing from the saved state with `resume`);
    returns the manifest.

    1. The Trainer: model initialised from seed, EMA, Adam, the generator that draws every batch.
    2. `run`: with `resume` its state as saved; its steps to cfg.steps, the loss log and the state as they go.
    3. The EMA weights and the manifest (with bits/dim and sample quality unless cfg.evaluate is off).
    """
    set_threads(cfg)
    torch.manual_seed(cfg.seed)  # torch's global generator draws dropout's masks (a UNet's dropout > 0, none shipped)
    trainer = Trainer(cfg)  # 1.
    paths = run(trainer, ("loss",), f"train {cfg.data}", resume, progress)  # 2.

    ema = trainer.ema.eval()  # 3.
    bpd, quality = (evaluate(ema, trainer.schedule, cfg.data, cfg.seed, cfg.vae, cfg.prediction) if cfg.evaluate
                    else (None, None))
    heldout_text = (f"first {DIGITS_BPD_N} test digits, discrete 8-bit decoder, x̂0 clipped to [-1, 1]" if cfg.data == "digits"
                    else latent.HELDOUT_TEXT if cfg.data == "latent"
                    else f"make_toy(n={TOY_HELDOUT_N}, seed={TOY_HELDOUT_SEED}), continuous decoder")
    manifest = {"data": cfg.data, "schedule": {"name": cfg.schedule, "params": {}}, "T": cfg.T,
                "steps": cfg.steps, "seed": cfg.seed, "batch_size": cfg.batch_size, "lr": cfg.lr,
                "ema_decay": cfg.ema_decay, "command": cfg.command(),
                "final_loss": final_loss(paths["csv"], cfg.log_every), "bits_per_dim": bpd,
                "bits_per_dim_data": heldout_text,
                "quality": quality, "trained_on": str(trainer.device),
                "sampling": Sampling.for_data(cfg.data).to_manifest()}
    if cfg.data == "latent":
        manifest["latent"] = latent.latent_manifest(cfg.vae, trainer.x0_all)
    if cfg.prediction != "eps":
        manifest["prediction"] = cfg.prediction  # absent means ε (Checkpoint.prediction)
    if cfg.num_classes:  # absent means unconditional
        manifest |= {"num_classes": cfg.num_classes, "label_drop": cfg.label_drop,
                     "guidance": (evaluate_guidance(ema, trainer.schedule, cfg.data, cfg.seed, cfg.prediction)
                                  if cfg.evaluate else None)}
    return save_checkpoint(ema, trainer.class_name, manifest, paths["stem"])
