"""Training by Algorithm 1 of Ho et al. 2020: repeat { x0 ~ q(x0), t ~ U{0…T−1}, ε ~ N(0, I), gradient step on
L_simple = ‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² (eq. 14) }, with Adam and an EMA of the weights.

`Trainer.step()` is one pass of that loop. `train()` drives it for the command line; the lab's Training page drives
the same Trainer live, so both draw the same batches and reach the same weights.

    python -m reference.train --data moons --schedule cosine --T 1000 --steps 10000 --seed 0 \
        --out reference/weights/moons

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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from . import latent
from .checkpoints import save_checkpoint
from .data import TOY_DATASETS, load_digits_split, make_toy
from .device import default_device
from .evaluate import bits_per_dim, digit_quality, digits_classifier, sliced_wasserstein, support_precision
from .diffusion import PREDICTIONS
from .losses import simple_loss
from .models import build_model
from .sampling import sample_ddim, sample_ddpm
from .schedules import Schedule

DATASETS = TOY_DATASETS + ("digits", "latent")
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

    def __post_init__(self):
        if self.data not in DATASETS:
            raise ValueError(f"unknown data {self.data!r}; choose one of {', '.join(DATASETS)}")
        if (self.data == "latent") != bool(self.vae):
            raise ValueError(f"--vae names the VAE of --data latent, and only then; got data {self.data!r}, "
                             f"vae {self.vae!r}")
        for key in ("T", "steps", "batch_size", "log_every", "save_every"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be a positive integer; got {value!r}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must lie in [0, 1); got {self.ema_decay!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive; got {self.lr!r}")
        if self.save_every % self.log_every:
            raise ValueError(f"save_every must be a multiple of log_every {self.log_every}; got {self.save_every}")
        Schedule.from_name(self.schedule, T=self.T)  # raises ValueError naming a bad schedule
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"prediction must be one of {', '.join(PREDICTIONS)}; got {self.prediction!r}")

    @property
    def model_spec(self) -> tuple[str, dict]:
        if self.data == "latent":
            class_name, config = DEFAULT_MODELS["latent"]
            config = {"dim": json.loads(Path(self.vae).with_suffix(".json").read_text())["latent_dim"], **config}
        else:
            class_name, config = DEFAULT_MODELS["digits" if self.data == "digits" else "toy"]
        return class_name, {**config, **self.model_config}

    def command(self) -> str:
        args = ["python", "-m", "reference.train", "--data", self.data, *(["--vae", self.vae] if self.vae else []),
                "--schedule", self.schedule,
                "--T", str(self.T), "--steps", str(self.steps), "--seed", str(self.seed),
                "--batch-size", str(self.batch_size), "--lr", repr(self.lr), "--ema-decay", repr(self.ema_decay)]
        args += ["--model-config", json.dumps(self.model_spec[1], separators=(",", ":"))]  # in full: defaults may move
        if self.threads:
            args += ["--threads", str(self.threads)]
        if self.log_every != 10:
            args += ["--log-every", str(self.log_every)]
        if self.save_every != 1000:
            args += ["--save-every", str(self.save_every)]
        if not self.evaluate:
            args += ["--no-evaluate"]
        if self.prediction != "eps":
            args += ["--prediction", self.prediction]
        return shlex.join(args + ["--out", self.out])


def training_data(data: str, vae: str = "") -> torch.Tensor:
    """x0 for training, (N, *S): a fixed toy sample (seed TOY_TRAIN_SEED), the training digits, or (data "latent")
    latent.TRAIN_DRAWS standardised draws of the VAE's q(z | x) per training digit."""
    if data == "digits":
        return load_digits_split().x_train
    if data == "latent":
        return latent.training_latents(latent.load_vae(vae, "cpu")[0], load_digits_split().x_train)[0]
    return make_toy(data, TOY_TRAIN_N, seed=TOY_TRAIN_SEED)


def _paths(out: str) -> dict[str, Path]:
    stem = Path(out)
    return {"stem": stem, "csv": stem.with_name(stem.name + ".loss.csv"),
            "state": stem.with_name(stem.name + ".state.safetensors")}


def _resume_key(cfg: TrainConfig) -> dict:
    """The settings a resumed run must share with the saved one: all but steps, evaluate and save_every."""
    key = {k: v for k, v in asdict(cfg).items() if k not in ("steps", "evaluate", "save_every", "model_config")}
    return json.loads(json.dumps({**key, "model": cfg.model_spec}))


def _save_state(path: Path, cfg: TrainConfig, step: int, model, ema, optimizer, generator) -> None:
    """Everything needed to continue bit-identically: weights, EMA, Adam moments, generator state, step."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors |= {f"ema.{k}": v for k, v in ema.state_dict().items()}
    for i, state in optimizer.state_dict()["state"].items():
        tensors |= {f"adam.{i}.{k}": torch.as_tensor(v) for k, v in state.items()}
    tensors["generator"] = generator.get_state()
    tensors["step"] = torch.tensor(step)
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path),
              metadata={"config": json.dumps(_resume_key(cfg))})


def _load_state(path: Path, cfg: TrainConfig, model, ema, optimizer, generator) -> int:
    """Restore what _save_state wrote; returns the step to continue from."""
    if not path.is_file():
        raise FileNotFoundError(f"--resume needs the training state {path}, which does not exist")
    with safe_open(str(path), "pt") as f:
        saved = json.loads(f.metadata()["config"])
    now = _resume_key(cfg)
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


_GLOBAL_RNG = threading.Lock()  # torch's global generator, which seeds the model's initial weights


class Trainer:
    """Algorithm 1 of Ho et al. (2020), one step at a time: `train()` runs it for the command line and the lab's
    Training page runs it live, so both draw the same batches and reach the same weights.

    Built from a TrainConfig: the training set x0 (`training_data`, on the CPU), the schedule, ε_θ initialised from
    torch's generator seeded with cfg.seed, its EMA copy, Adam, and one CPU generator seeded with cfg.seed that draws
    every x0, t and ε. `steps_done` counts the steps taken; `save_state` / `load_state` carry all of it to another
    process, so that a resumed run equals an uninterrupted one.
    """

    def __init__(self, cfg: TrainConfig, device: torch.device | str | None = None,
                 x0_all: torch.Tensor | None = None):
        self.cfg = cfg
        self.device = torch.device(device) if device is not None else default_device()
        self.schedule = Schedule.from_name(cfg.schedule, T=cfg.T)
        self.x0_all = training_data(cfg.data, cfg.vae) if x0_all is None else x0_all  # (N, *S), on the CPU
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
           ε ~ N(0, I). All three from `self.generator`, in this order.
        2. Adam on ∇_θ ‖ε − ε_θ(√ᾱ_t·x0 + √(1 − ᾱ_t)·ε, t)‖² (eq. 14), the gradient's norm clipped; a model of
           x0 or v regresses that target instead (`simple_loss` with cfg.prediction).
        3. EMA: θ_ema ← d·θ_ema + (1 − d)·θ with d = min(ema_decay, (1 + step)/(10 + step)).
        """
        cfg, step = self.cfg, self.steps_done
        idx = torch.randint(len(self.x0_all), (cfg.batch_size,), generator=self.generator)  # 1.
        t = torch.randint(cfg.T, (cfg.batch_size,), generator=self.generator)
        x0 = self.x0_all[idx]  # (B, *S)
        eps = torch.randn(x0.shape, generator=self.generator)
        loss = simple_loss(self.model, x0.to(self.device), t.to(self.device), self.schedule,  # 2.
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
        _save_state(Path(path), self.cfg, self.steps_done, self.model, self.ema, self.optimizer, self.generator)

    def load_state(self, path: str | Path) -> None:
        """Continue from what `save_state` wrote; ValueError if it was saved with other settings (all but steps)."""
        self.steps_done = _load_state(Path(path), self.cfg, self.model, self.ema, self.optimizer, self.generator)


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
                "quality": quality, "trained_on": str(trainer.device)}
    if cfg.data == "latent":
        manifest["latent"] = latent.latent_manifest(cfg.vae, trainer.x0_all)
    if cfg.prediction != "eps":
        manifest["prediction"] = cfg.prediction  # absent means ε (Checkpoint.prediction)
    return save_checkpoint(ema, trainer.class_name, manifest, paths["stem"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, choices=DATASETS)
    parser.add_argument("--schedule", default="cosine", help="linear, cosine, quadratic or sigmoid")
    parser.add_argument("--T", type=int, default=1000, help="diffusion steps")
    parser.add_argument("--steps", type=int, default=4000, help="training steps (total, also with --resume)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ema-decay", type=float, default=0.995)
    parser.add_argument("--model-config", type=json.loads, default={},
                        help='JSON overrides of the default model config, e.g. \'{"hidden": 64}\'')
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--log-every", type=int, default=10, help="steps per row of the loss log")
    parser.add_argument("--save-every", type=int, default=1000,
                        help="steps between saves of the training state for --resume (a multiple of --log-every)")
    parser.add_argument("--no-evaluate", dest="evaluate", action="store_false",
                        help="skip bits/dim and sample quality (the manifest then records null)")
    parser.add_argument("--vae", default="", help="with --data latent: the VAE checkpoint whose latents to model, "
                        "e.g. reference/weights/latent/vae_z2 (trained by python -m reference.train_vae)")
    parser.add_argument("--prediction", default="eps", choices=PREDICTIONS,
                        help="what the model outputs and regresses: ε (Ho et al.), x0, or v (Salimans & Ho 2022)")
    parser.add_argument("--out", required=True, help="checkpoint path without suffix, e.g. reference/weights/moons")
    parser.add_argument("--resume", action="store_true", help="continue from <out>.state.safetensors")
    args = vars(parser.parse_args(argv))
    resume = args.pop("resume")
    try:
        cfg = TrainConfig(**args)
    except ValueError as e:
        parser.error(str(e))
    manifest = train(cfg, resume=resume)
    print(json.dumps({k: manifest[k] for k in ("final_loss", "bits_per_dim", "quality", "sha256")}, indent=2))


if __name__ == "__main__":
    main()
