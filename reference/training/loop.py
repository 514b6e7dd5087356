"""What every training command of the lab shares: its command-line arguments and their spelling back into the
command a manifest records, the output paths, the loss log, the EMA, and the loop that runs a trainer to its end.

A command adds its own arguments (`--latent-dim`, `--family`, `--data` …) before calling `add_common_arguments`, and
its config's `command()` appends `common_command_args(cfg)`, so that a recorded command parses back to the same
config and spells itself out exactly as recorded. A trainer (`StepTrainer`) says what one step is; `run` does the
rest: resume, the loss log every `log_every` steps, the state every `save_every`, and the state at the end.
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
from pathlib import Path

import torch
from tqdm import tqdm

from . import state

LOG_EVERY, SAVE_EVERY = 10, 1000  # the defaults, which a recorded command leaves out
CLIP_NORM = 1.0  # gradient-norm clipping, as in Ho et al.'s code
LAST_STEPS_FOR_FINAL_LOSS = 100


# ---- the command line ----------------------------------------------------------------------------------------------

def add_common_arguments(parser: argparse.ArgumentParser, *, steps: int, batch_size: int, lr: float,
                         ema_decay: float, out_example: str) -> None:
    """Add the shared arguments to `parser`, with this command's defaults for steps, batch size, lr and EMA decay."""
    parser.add_argument("--steps", type=int, default=steps, help="training steps (total, also with --resume)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--ema-decay", type=float, default=ema_decay)
    parser.add_argument("--model-config", type=json.loads, default={},
                        help='JSON overrides of the default model config, e.g. \'{"channels": 32}\'')
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--log-every", type=int, default=LOG_EVERY, help="steps per row of the loss log")
    parser.add_argument("--save-every", type=int, default=SAVE_EVERY,
                        help="steps between saves of the training state for --resume (a multiple of --log-every)")
    parser.add_argument("--no-evaluate", dest="evaluate", action="store_false",
                        help="skip the quality figures (the manifest then records null)")
    parser.add_argument("--out", required=True, help=f"checkpoint path without suffix, e.g. {out_example}")
    parser.add_argument("--resume", action="store_true", help="continue from <out>.state.safetensors")


def check_common(cfg) -> None:
    """ValueError naming the first bad shared setting of a config (a dataclass holding the shared fields)."""
    for key in ("steps", "batch_size", "log_every", "save_every"):
        value = getattr(cfg, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a positive integer; got {value!r}")
    if not 0 <= cfg.ema_decay < 1:
        raise ValueError(f"ema_decay must lie in [0, 1); got {cfg.ema_decay!r}")
    if not cfg.lr > 0:
        raise ValueError(f"lr must be positive; got {cfg.lr!r}")
    if cfg.save_every % cfg.log_every:
        raise ValueError(f"save_every must be a multiple of log_every {cfg.log_every}; got {cfg.save_every}")


def common_command_args(cfg, model_config: dict) -> tuple[list[str], list[str]]:
    """The shared arguments of `cfg` as command-line words, in two parts: those that go before the model config
    (steps, seed, batch size, lr, EMA decay, the model config in full) and those after it (threads, intervals that
    differ from the defaults, --no-evaluate)."""
    head = ["--steps", str(cfg.steps), "--seed", str(cfg.seed), "--batch-size", str(cfg.batch_size),
            "--lr", repr(cfg.lr), "--ema-decay", repr(cfg.ema_decay),
            "--model-config", json.dumps(model_config, separators=(",", ":"))]  # in full: defaults may move
    tail = ["--threads", str(cfg.threads)] if cfg.threads else []
    if cfg.log_every != LOG_EVERY:
        tail += ["--log-every", str(cfg.log_every)]
    if cfg.save_every != SAVE_EVERY:
        tail += ["--save-every", str(cfg.save_every)]
    if not cfg.evaluate:
        tail += ["--no-evaluate"]
    return head, tail


def parse_config(parser: argparse.ArgumentParser, config_class, argv: list[str] | None):
    """(config, resume) from the command line; a config's ValueError becomes the parser's usage error."""
    args = vars(parser.parse_args(argv))
    resume = args.pop("resume")
    try:
        return config_class(**args), resume
    except ValueError as e:
        parser.error(str(e))


def set_threads(cfg) -> None:
    """torch's CPU threads as the config asks (0 keeps torch's default): the same count gives the same weights."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)


# ---- what a run writes ---------------------------------------------------------------------------------------------

def output_paths(out: str) -> dict[str, Path]:
    """The files of a run beside `out`: "stem" (the checkpoint without suffix), "csv" (the loss log), "state"."""
    stem = Path(out)
    return {"stem": stem, "csv": stem.with_name(stem.name + ".loss.csv"),
            "state": stem.with_name(stem.name + ".state.safetensors")}


class LossLog:
    """The loss log's rows, as `run` writes them to `.loss.csv` and the Training page plots them: (step, the mean of
    each logged loss over the steps since the previous row), one row every `every` steps and one at the last step."""

    def __init__(self, every: int):
        self.every = every
        self.window: list[tuple[float, ...]] = []

    def add_row(self, step: int, losses: tuple[float, ...], last: bool = False
                ) -> tuple[int, tuple[float, ...]] | None:
        """Record the losses of step number `step` (counted from 1); returns the row it completes, if any."""
        self.window.append(losses)
        if step % self.every and not last:
            return None
        row = (step, tuple(sum(column) / len(column) for column in zip(*self.window)))
        self.window = []
        return row

    def add(self, step: int, loss: float, last: bool = False) -> tuple[int, float] | None:
        """`add_row` for a single loss: (step, its mean) when a row completes."""
        row = self.add_row(step, (loss,), last)
        return None if row is None else (row[0], row[1][0])


def truncate_log(csv_path: Path, step: int) -> None:
    """Drop the loss-log rows past `step`, written after the state a resumed run continues from."""
    if not csv_path.is_file():
        raise FileNotFoundError(f"--resume needs the loss log {csv_path}, which does not exist")
    lines = csv_path.read_text().splitlines(keepends=True)
    csv_path.write_text("".join([lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) <= step]))


def final_loss(csv_path: Path, log_every: int) -> float:
    """The mean of the "loss" column over the last LAST_STEPS_FOR_FINAL_LOSS steps, read back from the loss log."""
    with csv_path.open() as f:
        rows = [float(r["loss"]) for r in csv.DictReader(f)]
    last = rows[-max(1, LAST_STEPS_FOR_FINAL_LOSS // log_every):]
    return sum(last) / len(last)


# ---- the trainer and its loop --------------------------------------------------------------------------------------

class StepTrainer:
    """What every trainer holds: its config, the model, an EMA copy, Adam, the one CPU generator (seeded with
    cfg.seed) that draws every batch, and `steps_done`. A subclass says what one step is (`step_losses`) and ends
    it with `end_step()`; `save_state` / `load_state` carry everything to another process, so that a resumed run
    equals an uninterrupted one.
    """

    def __init__(self, cfg, model: torch.nn.Module, adam_betas: tuple[float, float] = (0.9, 0.999)):
        self.cfg = cfg
        self.model = model
        self.ema = copy.deepcopy(model).requires_grad_(False)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=adam_betas)
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.steps_done = 0
        self.model.train()

    def step_losses(self) -> tuple[float, ...]:
        """One training step; returns the losses the loss log records, the first one its "loss" column."""
        raise NotImplementedError

    def descend(self, loss: torch.Tensor, parameters=None) -> None:
        """Adam on ∇loss, the gradient's norm clipped to CLIP_NORM; only `parameters` (default: all) move."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if parameters is None:
            parameters = self.model.parameters()
        else:
            parameters = list(parameters)
            keep = {id(p) for p in parameters}
            for p in self.model.parameters():  # the other network's gradient is dropped
                if id(p) not in keep:
                    p.grad = None
        torch.nn.utils.clip_grad_norm_(parameters, CLIP_NORM)
        self.optimizer.step()

    def end_step(self) -> None:
        """EMA: θ_ema ← d·θ_ema + (1 − d)·θ with d = min(ema_decay, (1 + step)/(10 + step)); then count the step."""
        step = self.steps_done
        decay = min(self.cfg.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for p_ema, p in zip(self.ema.parameters(), self.model.parameters()):
                p_ema.lerp_(p, 1 - decay)
        self.steps_done += 1

    def save_state(self, path: str | Path) -> None:
        """Write model, EMA, Adam and generator state and `steps_done` to `path` (a .state.safetensors file)."""
        state.save_state(Path(path), self.cfg, self.steps_done, self.model, self.ema, self.optimizer, self.generator)

    def load_state(self, path: str | Path) -> None:
        """Continue from what `save_state` wrote; ValueError if it was saved with other settings (all but steps)."""
        self.steps_done = state.load_state(Path(path), self.cfg, self.model, self.ema, self.optimizer, self.generator)


def run(trainer: StepTrainer, columns: tuple[str, ...], desc: str, resume: bool = False,
        progress: bool = True) -> dict[str, Path]:
    """Run `trainer` to cfg.steps steps (continuing from its saved state with `resume`); returns the output paths.

    1. With `resume`, the trainer's state as saved, and the loss log cut back to it; else a fresh log.
    2. Its steps: a row of the loss log every log_every steps, the state every save_every.
    3. The state at the end.
    """
    cfg = trainer.cfg
    paths = output_paths(cfg.out)
    if resume:  # 1.
        trainer.load_state(paths["state"])
    start = trainer.steps_done
    if start > cfg.steps:
        raise ValueError(f"--steps {cfg.steps} is below the {start} steps the saved state has already run")
    paths["stem"].parent.mkdir(parents=True, exist_ok=True)
    if resume:
        truncate_log(paths["csv"], start)
    else:
        paths["csv"].write_text(f"step,{','.join(columns)}\n")
    loss_log = LossLog(cfg.log_every)
    with paths["csv"].open("a") as log:
        for _ in tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not progress, desc=desc):
            losses = trainer.step_losses()  # 2.
            step = trainer.steps_done
            row = loss_log.add_row(step, losses, last=step == cfg.steps)
            if row is not None:
                log.write(f"{row[0]}," + ",".join(f"{m:.6f}" for m in row[1]) + "\n")
            if step % cfg.save_every == 0 and step < cfg.steps:
                log.flush()
                trainer.save_state(paths["state"])
    trainer.save_state(paths["state"])  # 3.
    return paths
