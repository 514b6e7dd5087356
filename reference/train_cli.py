"""The command-line arguments every training command of the lab shares, and their spelling back into the command
line a manifest records: steps, seed, batch size, learning rate, EMA decay, model-config overrides, threads, the
log and save intervals, --no-evaluate, --out and --resume.

A command adds its own arguments (`--latent-dim`, `--family`, `--data` …) before calling `add_common_arguments`, and
its config's `command()` appends `common_command_args(cfg)`, so that a recorded command parses back to the same
config and spells itself out exactly as recorded.
"""
from __future__ import annotations

import argparse
import json

LOG_EVERY, SAVE_EVERY = 10, 1000  # the defaults, which a recorded command leaves out


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
