"""Training: one loop (`loop.run`, with the shared command-line arguments, loss log, EMA and state) and one trainer
per model kind, each with its command:

    python -m reference.training.ddpm      # a DDPM denoiser by Algorithm 1 (trainer.py)
    python -m reference.training.vae       # the digits VAE under latent diffusion (vae.py)
    python -m reference.training.families  # the VAE, GAN and flow of the families comparison (families.py)

The lab's Training page drives the same `Trainer` as the DDPM command, so both reach the same weights.
"""
from .loop import LossLog
from .trainer import DATASETS, TrainConfig, Trainer, train, training_data, training_labels

__all__ = ["DATASETS", "LossLog", "TrainConfig", "Trainer", "train", "training_data", "training_labels"]
