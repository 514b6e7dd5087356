"""Training by Algorithm 1 of Ho et al. 2020: repeat { x0 ~ q(x0), t ~ U{0…T−1}, ε ~ N(0, I), gradient step on
L_simple = ‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² (eq. 14) }, with Adam and an EMA of the weights.

`Trainer.step()` is one pass of that loop. `train()` drives it for the command line; the lab's Training page drives
the same Trainer live, so both draw the same batches and reach the same weights.

    python -m reference.train --data moons --schedule cosine --T 1000 --steps 10000 --seed 0 \
        --out reference/weights/moons

`--num-classes 10 --label-drop 0.1` (digits; 2 for moons, y = which moon) trains a class-conditional ε_θ(x_t, t, y)
for classifier-free guidance (Ho & Salimans 2022, Algorithm 1): each label is replaced by the null label ∅ with
probability `--label-drop`, so the one network learns ε_θ(x_t, t, y) and ε_θ(x_t, t, ∅) (reference/guidance.py).

`--data latent --vae reference/weights/latent/vae_z2` trains the same way on a VAE's standardised latents (latent
diffusion, reference/latent.py), and the manifest then also records the standardisation (m, s).

writes, beside `--out`: `.safetensors` + `.json` (the EMA weights and their manifest, see checkpoints.py),
`.loss.csv` (step, mean L_simple over the last `--log-every` steps) and `.state.safetensors` (model, EMA, Adam
and random-generator state, saved every `--save-every` steps and at the end, for `--resume`). Every random draw
comes from one seeded generator on the CPU, so the same command (same torch, same thread count) gives
bit-identical weights, and a resumed run equals an uninterrupted one.
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
import math
import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from . import latent, train_state
from .checkpoints import Sampling, save_checkpoint
from .data import TOY_DATASETS, TOY_NUM_CLASSES, load_digits_split, make_labelled_toy, make_toy
from .device import default_device
from .evaluate import (GUIDANCE_DDIM_STEPS, bits_per_dim, bits_per_dim_given_class, class_diversity, class_fidelity, digit_quality,
                       digits_classifier, guidance_sweep, sliced_wasserstein, support_precision, toy_classifier)
from .diffusion import PREDICTIONS
from .losses import simple_loss
from .models import build_model
from .sampling import sample_ddim, sample_ddpm
from .schedules import Schedule
from .train_cli import add_common_arguments, check_common, common_command_args, parse_config

DATASETS = TOY_DATASETS + ("digits", "latent")
NUM_CLASSES = {"digits": 10, **TOY_NUM_CLASSES}  # the data sets that carry a class label y
GUIDANCE_PER_CLASS = {"digits": 20, "toy": 500}  # samples per class and guidance scale w in the manifest's sweep
TOY_TRAIN_N, TOY_TRAIN_SEED = 20000, 0  # the fixed training set of every toy checkpoint
TOY_HELDOUT_N, TOY_HELDOUT_SEED = 2000, 1  # held-out points for bits/dim and the sample distance
DIGITS_SAMPLES, DIGITS_DDIM_STEPS = 500, 50
DIGITS_BPD_N = 100  # bits/dim on the first 100 test digits: the bound costs T model calls per example
DEFAULT_MODELS = {
    # hidden 64: 1000 DDPM steps of 2000 points in < 3 s on two CPU cores, for the Streamlit app
    "toy": ("MLPDenoiser", {"dim": 2, "hidden": 64, "layers": 3, "t_dim": 32}),
    "digits": ("UNet", {"in_ch": 1, "channels": 32, "channel_mults": [1, 2], "blocks": 1, "groups": 8,
                        "dropout": 0.0}),
    "latent": ("MLPDenoiser", {"hidden": 128, "layers": 4, "t_dim": 32}),  # dim: the VAE's latent_dim
}
CLIP_NORM = 1.0  # gradient-norm clipping, as in Ho et al.'s code
LAST_STEPS_FOR_FINAL_LOSS = 100


@dataclass
class TrainConfig:
    """Everything a run depends on; `command()` spells it out as the exact CLI line the manifest records."""

    data: str
    out: str
    schedule: str = "cosine"
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
    prediction: str = "eps"  # what the model learns to output: "eps", "x0" or "v" (reference.PREDICTIONS)
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
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"prediction must be one of {', '.join(PREDICTIONS)}; got {self.prediction!r}")
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
        """Settings a resumed run may differ in beyond train_state.UNKEYED: an unconditional run's label settings,
        as states saved before labels existed lack them."""
        return () if self.num_classes else ("num_classes", "label_drop")

    def command(self) -> str:
        head, tail = common_command_args(self, self.model_spec[1])
        args = ["python", "-m", "reference.train", "--data", self.data, *(["--vae", self.vae] if self.vae else []),
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


def _paths(out: str) -> dict[str, Path]:
    stem = Path(out)
    return {"stem": stem, "csv": stem.with_name(stem.name + ".loss.csv"),
            "state": stem.with_name(stem.name + ".state.safetensors")}


_GLOBAL_RNG = threading.Lock()  # torch's global generator, which seeds the model's initial weights


class Trainer:
    """Algorithm 1 of Ho et al. (2020), one step at a time: `train()` runs it for the command line and the lab's
    Training page runs it live, so both draw the same batches and reach the same weights.

    Built from a TrainConfig: the training set x0 (`training_data`, on the CPU), the schedule, ε_θ initialised from
    torch's generator seeded with cfg.seed, its EMA copy, Adam, and one CPU generator seeded with cfg.seed that draws
    every x0, t and ε (and, for a conditional model, which labels become ∅). `steps_done` counts the steps taken; `save_state` / `load_state` carry all of it to another
    process, so that a resumed run equals an uninterrupted one.
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
            self.model = build_model(self.class_name, config).to(self.device)
        self.ema = copy.deepcopy(self.model).requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.steps_done = 0
        self.model.train()

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
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP_NORM)
        self.optimizer.step()
        decay = min(cfg.ema_decay, (1 + step) / (10 + step))  # 3.
        with torch.no_grad():
            for p_ema, p in zip(self.ema.parameters(), self.model.parameters()):
                p_ema.lerp_(p, 1 - decay)
        self.steps_done += 1
        return value

    def save_state(self, path: str | Path) -> None:
        """Write model, EMA, Adam and generator state and `steps_done` to `path` (a .state.safetensors file)."""
        train_state.save_state(Path(path), self.cfg, self.steps_done, self.model, self.ema, self.optimizer, self.generator)

    def load_state(self, path: str | Path) -> None:
        """Continue from what `save_state` wrote; ValueError if it was saved with other settings (all but steps)."""
        self.steps_done = train_state.load_state(Path(path), self.cfg, self.model, self.ema, self.optimizer, self.generator)


class LossLog:
    """The loss log's rows, as `train()` writes them to `.loss.csv` and the Training page plots them: (step, the mean
    L_simple of the steps since the previous row), one row every `every` steps and one at the last step."""

    def __init__(self, every: int):
        self.every = every
        self.window: list[float] = []

    def add(self, step: int, loss: float, last: bool = False) -> tuple[int, float] | None:
        """Record the loss of step number `step` (counted from 1); returns the row it completes, if any."""
        self.window.append(loss)
        if step % self.every and not last:
            return None
        row = (step, sum(self.window) / len(self.window))
        self.window = []
        return row


def _truncate_log(csv_path: Path, step: int) -> None:
    """Drop the loss-log rows past `step`, written after the state a resumed run continues from."""
    if not csv_path.is_file():
        raise FileNotFoundError(f"--resume needs the loss log {csv_path}, which does not exist")
    lines = csv_path.read_text().splitlines(keepends=True)
    csv_path.write_text("".join([lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) <= step]))


def _final_loss(csv_path: Path, log_every: int) -> float:
    """The mean L_simple over the last LAST_STEPS_FOR_FINAL_LOSS steps, read back from the loss log."""
    with csv_path.open() as f:
        rows = [float(r["loss"]) for r in csv.DictReader(f)]
    last = rows[-max(1, LAST_STEPS_FOR_FINAL_LOSS // log_every):]
    return sum(last) / len(last)


def evaluate(model, schedule: Schedule, data: str, seed: int, vae: str = "", prediction: str = "eps"
             ) -> tuple[float, dict]:
    """(bits/dim on held-out data, the sample-quality figure) for a trained model in eval mode, which outputs
    `prediction`."""
    device = next(model.parameters()).device
    if data == "latent":
        return latent.evaluate_latent_ddpm(model, schedule, latent.load_vae(vae, device)[0], seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    if data == "digits":
        x_test = load_digits_split().x_test[:DIGITS_BPD_N].to(device)
        bpd = bits_per_dim(model, x_test, schedule, decoder="discrete", seed=seed, max_rows=8192, clip_x0=1.0,
                           prediction=prediction)
        # leading spacing: the shipped digits manifest was measured with it, before trailing became the default
        samples = sample_ddim(model, (DIGITS_SAMPLES, 1, 8, 8), schedule, steps=DIGITS_DDIM_STEPS, spacing="leading",
                              generator=generator, clip_x0=1.0, prediction=prediction)
        quality = {"metric": "digits_classifier", "n_samples": DIGITS_SAMPLES,
                   "sampler": f"ddim, {DIGITS_DDIM_STEPS} steps, eta 0, x̂0 clipped to [-1, 1]", "sample_seed": seed,
                   **digit_quality(samples, digits_classifier())}
        return bpd, quality
    heldout = make_toy(data, TOY_HELDOUT_N, seed=TOY_HELDOUT_SEED).to(device)
    bpd = bits_per_dim(model, heldout, schedule, decoder="continuous", seed=seed, prediction=prediction)
    samples = sample_ddpm(model, heldout.shape, schedule, generator=generator, prediction=prediction)
    gaussian = torch.randn(heldout.shape, generator=torch.Generator().manual_seed(seed))
    quality = {"metric": "sliced_wasserstein", "n_samples": TOY_HELDOUT_N, "sampler": "ddpm, fixed_large",
               "sample_seed": seed, "heldout_seed": TOY_HELDOUT_SEED,
               "value": sliced_wasserstein(samples, heldout),
               "gaussian_baseline": sliced_wasserstein(gaussian, heldout),
               "support_precision": support_precision(samples, heldout),
               "support_precision_gaussian": support_precision(gaussian, heldout)}
    return bpd, quality


def evaluate_guidance(model, schedule: Schedule, data: str, seed: int, prediction: str = "eps") -> dict:
    """What a class-conditional model's manifest records under "guidance": bits/dim of held-out data given its
    true labels (w = 0), and the accuracy-vs-diversity curve over GUIDANCE_SCALES (`guidance_sweep`), scored by
    the digits classifier or, on a toy, a nearest-neighbour classifier of the held-out points; with the
    classifier's accuracy and the class diversity of real held-out data for comparison."""
    device = next(model.parameters()).device
    clip_x0 = Sampling.for_data(data).ddim_clip_x0  # DDIM from t = T clips x̂0 (see Sampling)
    if data == "digits":
        split = load_digits_split()
        x_bpd, y_bpd = split.x_test[:DIGITS_BPD_N].to(device), split.y_test[:DIGITS_BPD_N].to(device)
        bpd = bits_per_dim_given_class(model, x_bpd, y_bpd, schedule, decoder="discrete", seed=seed, max_rows=8192,
                                       clip_x0=1.0, prediction=prediction)
        classifier, x_data, y_data = digits_classifier(), split.x_test, split.y_test
        per_class, name = GUIDANCE_PER_CLASS["digits"], "digits_classifier (logistic regression)"
    else:
        x_data, y_data = make_labelled_toy(data, TOY_HELDOUT_N, seed=TOY_HELDOUT_SEED)
        bpd = bits_per_dim_given_class(model, x_data.to(device), y_data.to(device), schedule, decoder="continuous",
                                       seed=seed, prediction=prediction)
        classifier = toy_classifier(data, TOY_HELDOUT_N, TOY_HELDOUT_SEED)
        per_class = GUIDANCE_PER_CLASS["toy"]
        name = f"toy_classifier: 15 nearest neighbours in make_labelled_toy(n={TOY_HELDOUT_N}, seed={TOY_HELDOUT_SEED})"
    curve = guidance_sweep(model, schedule, tuple(x_data.shape[1:]), classifier, per_class, seed=seed,
                           clip_x0=clip_x0, prediction=prediction)
    return {"bits_per_dim_given_class": bpd[0], "bits_per_dim_per_class": bpd[1], "classifier": name,
            "sampler": f"ddim, {GUIDANCE_DDIM_STEPS} steps (trailing), eta 0, x̂0 clipped to ±{clip_x0:g}",
            "per_class": per_class, "sample_seed": seed,
            "data": {"n": len(y_data), "accuracy": class_fidelity(x_data, y_data, classifier)["accuracy"],
                     "diversity": class_diversity(x_data, y_data)},
            "curve": curve}


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run Algorithm 1 for cfg.steps steps of `Trainer.step` (continuing from the saved state with `resume`);
    returns the manifest.

    1. The Trainer: model initialised from seed, EMA, Adam, the generator that draws every batch; with `resume`,
       its state as saved.
    2. Its steps, to cfg.steps: the loss log every log_every steps, the state every save_every.
    3. Save the state, then the EMA weights and the manifest (with bits/dim and sample quality unless cfg.evaluate
       is off).
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    paths = _paths(cfg.out)
    torch.manual_seed(cfg.seed)  # torch's global generator draws dropout's masks (a UNet's dropout > 0, none shipped)
    trainer = Trainer(cfg)  # 1.
    if resume:
        trainer.load_state(paths["state"])
    start = trainer.steps_done
    if start > cfg.steps:
        raise ValueError(f"--steps {cfg.steps} is below the {start} steps the saved state has already run")

    paths["stem"].parent.mkdir(parents=True, exist_ok=True)
    if resume:
        _truncate_log(paths["csv"], start)
    else:
        paths["csv"].write_text("step,loss\n")
    loss_log = LossLog(cfg.log_every)
    with paths["csv"].open("a") as log:
        for _ in tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not progress,
                      desc=f"train {cfg.data}"):
            loss = trainer.step()  # 2.
            step = trainer.steps_done
            row = loss_log.add(step, loss, last=step == cfg.steps)
            if row is not None:
                log.write(f"{row[0]},{row[1]:.6f}\n")
            if step % cfg.save_every == 0 and step < cfg.steps:
                log.flush()
                trainer.save_state(paths["state"])
    trainer.save_state(paths["state"])  # 3.

    ema = trainer.ema.eval()
    bpd, quality = (evaluate(ema, trainer.schedule, cfg.data, cfg.seed, cfg.vae, cfg.prediction) if cfg.evaluate
                    else (None, None))
    heldout_text = (f"first {DIGITS_BPD_N} test digits, discrete 8-bit decoder, x̂0 clipped to [-1, 1]" if cfg.data == "digits"
                    else latent.HELDOUT_TEXT if cfg.data == "latent"
                    else f"make_toy(n={TOY_HELDOUT_N}, seed={TOY_HELDOUT_SEED}), continuous decoder")
    manifest = {"data": cfg.data, "schedule": {"name": cfg.schedule, "params": {}}, "T": cfg.T,
                "steps": cfg.steps, "seed": cfg.seed, "batch_size": cfg.batch_size, "lr": cfg.lr,
                "ema_decay": cfg.ema_decay, "command": cfg.command(),
                "final_loss": _final_loss(paths["csv"], cfg.log_every), "bits_per_dim": bpd,
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, choices=DATASETS)
    parser.add_argument("--schedule", default="cosine", help="linear, cosine, quadratic or sigmoid")
    parser.add_argument("--T", type=int, default=1000, help="diffusion steps")
    parser.add_argument("--vae", default="", help="with --data latent: the VAE checkpoint whose latents to model, "
                        "e.g. reference/weights/latent/vae_z2 (trained by python -m reference.train_vae)")
    parser.add_argument("--prediction", default="eps", choices=PREDICTIONS,
                        help="what the model outputs and regresses: ε (Ho et al.), x0, or v (Salimans & Ho 2022)")
    parser.add_argument("--num-classes", type=int, default=0,
                        help="train ε_θ(x_t, t, y) on the data's labels: 10 for digits, 2 for moons (0: unconditional)")
    parser.add_argument("--label-drop", type=float, default=0.0,
                        help="with --num-classes: the rate at which y is replaced by the null label ∅ (e.g. 0.1)")
    add_common_arguments(parser, steps=4000, batch_size=256, lr=1e-3, ema_decay=0.995,
                         out_example="reference/weights/moons")
    cfg, resume = parse_config(parser, TrainConfig, argv)
    manifest = train(cfg, resume=resume)
    print(json.dumps({k: manifest[k] for k in ("final_loss", "bits_per_dim", "quality", "sha256")}, indent=2))


if __name__ == "__main__":
    main()
