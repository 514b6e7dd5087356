"""The command that trains a DDPM denoiser by Algorithm 1 (reference/training/trainer.py) and writes its checkpoint.

    python -m reference.training.ddpm --data moons --schedule cosine --T 1000 --steps 10000 --seed 0 \
        --out reference/weights/moons

See reference/training/trainer.py for every option and what the run writes.
"""
from __future__ import annotations

import argparse
import json

from ..diffusion.options import PREDICTIONS
from .loop import add_common_arguments, parse_config
from .trainer import DATASETS, TrainConfig, train

DESCRIPTION = ("Training by Algorithm 1 of Ho et al. 2020: repeat { x0 ~ q(x0), t ~ U{0…T−1}, ε ~ N(0, I), gradient "
               "step on L_simple (eq. 14) }, with Adam and an EMA of the weights.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.training.ddpm", description=DESCRIPTION)
    parser.add_argument("--data", required=True, choices=DATASETS)
    parser.add_argument("--schedule", default="cosine", help="linear, cosine, quadratic or sigmoid")
    parser.add_argument("--T", type=int, default=1000, help="diffusion steps")
    parser.add_argument("--vae", default="", help="with --data latent: the VAE checkpoint whose latents to model, "
                        "e.g. reference/weights/latent/vae_z2 (trained by python -m reference.training.vae)")
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
