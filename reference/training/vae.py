"""Training the digits VAE of reference/families/vae.py: repeat { x ~ training digits, ε ~ N(0, I), gradient step on the
negative ELBO −log p_θ(x | μ_φ(x) + σ_φ(x) ⊙ ε) + KL(q_φ(z | x) ‖ N(0, I)) (Kingma & Welling 2014, eq. 10) },
with Adam and an EMA of the weights, by the loop reference/training/loop.py runs for every trainer.

    python -m reference.training.vae --latent-dim 2 --steps 3000 --seed 0 --out reference/weights/latent/vae_z2

writes, beside `--out`, what reference.training.ddpm writes: `.safetensors` + `.json` (the EMA weights and their manifest:
the exact command, config, seed, sha256 and the measured quality), `.loss.csv` (step, mean negative ELBO and mean
KL over the last `--log-every` steps, nats per digit) and `.state.safetensors` for `--resume`. Every random draw
comes from one seeded CPU generator, so the same command (same torch, same thread count) gives the same weights.
The latent DDPM on top is trained by `python -m reference.training.ddpm --data latent --vae <out>` (reference/families/latent.py).
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
from dataclasses import dataclass, field

import torch

from ..checkpoints import save_checkpoint
from ..data import load_digits_split
from ..device import default_device
from ..evaluate import digit_quality, digits_classifier
from ..families.latent import decode_latents, posterior_means, sample_prior
from .loop import (StepTrainer, add_common_arguments, check_common, common_command_args, final_loss, parse_config, run,
                   set_threads)
from ..families.vae import ConvVAE, vae_loss

DEFAULT_CONFIG = {"channels": 16}  # 40 k parameters; channels 32 overfitted the 1437 training digits more
PRIOR_SAMPLES = 500  # decoded prior draws the manifest's quality figure labels
ELBO_DRAWS = 16  # reparameterised draws per held-out digit in the measured negative ELBO


@dataclass
class VAEConfig:
    """Everything a VAE run depends on; `command()` spells it out as the exact CLI line the manifest records."""

    latent_dim: int
    out: str
    steps: int = 3000
    seed: int = 0
    batch_size: int = 128
    lr: float = 1e-3
    ema_decay: float = 0.995
    model_config: dict = field(default_factory=dict)  # overrides of DEFAULT_CONFIG
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    log_every: int = 10
    save_every: int = 1000  # steps between saves of the training state, a multiple of log_every
    evaluate: bool = True

    def __post_init__(self):
        if isinstance(self.latent_dim, bool) or not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive integer; got {self.latent_dim!r}")
        check_common(self)

    @property
    def model_spec(self) -> tuple[str, dict]:
        return "ConvVAE", {"latent_dim": self.latent_dim, **DEFAULT_CONFIG, **self.model_config}

    def command(self) -> str:
        config = {k: v for k, v in self.model_spec[1].items() if k != "latent_dim"}
        head, tail = common_command_args(self, config)
        return shlex.join(["python", "-m", "reference.training.vae", "--latent-dim", str(self.latent_dim), *head, *tail,
                           "--out", self.out])


def evaluate(vae, seed: int) -> dict:
    """What the manifest records of a trained VAE (eval mode), on the held-out digits and on prior draws:

    - the negative ELBO (eq. 10) in nats per digit, averaged over ELBO_DRAWS draws of ε, and its KL part;
    - the decoder's σ_x;
    - reconstructions μ_θ(μ_φ(x)) as the digits classifier sees them, and how often it gives them x's label;
    - PRIOR_SAMPLES decoded prior draws μ_θ(z), z ~ N(0, I), as the classifier sees them.
    """
    device = next(vae.parameters()).device
    split = load_digits_split()
    x, y = split.x_test.to(device), split.y_test
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        losses = [vae_loss(vae, x, torch.randn((len(x), vae.latent_dim), generator=generator, device=device))
                  for _ in range(ELBO_DRAWS)]
    classifier = digits_classifier()
    reconstruction = decode_latents(vae, posterior_means(vae, x))
    labels = classifier.predict(reconstruction.clamp(-1, 1).flatten(1).cpu().numpy())
    _, prior_x = sample_prior(vae, PRIOR_SAMPLES, generator)
    return {"heldout": f"the {len(x)} test digits", "elbo_draws": ELBO_DRAWS, "sample_seed": seed,
            "negative_elbo_nats": float(torch.stack([l.loss for l in losses]).mean()),
            "kl_nats": float(torch.stack([l.kl for l in losses]).mean()),
            "sigma_x": float(vae.log_sigma_x.exp()),
            "reconstruction": {"label_kept": float((torch.from_numpy(labels) == y).double().mean()),
                               **digit_quality(reconstruction, classifier)},
            "prior_samples": {"n_samples": PRIOR_SAMPLES, **digit_quality(prior_x, classifier)}}


class VAETrainer(StepTrainer):
    """The VAE's steps: x from the training digits, ε ~ N(0, I), both from the trainer's generator; Adam on the mean
    negative ELBO (eq. 10). The VAE is initialised from torch's generator as the caller seeded it."""

    def __init__(self, cfg: VAEConfig, vae: ConvVAE, x_all: torch.Tensor):
        super().__init__(cfg, vae)
        self.x_all = x_all  # (N, 1, 8, 8), on the CPU
        self.device = next(vae.parameters()).device

    def step_losses(self) -> tuple[float, float]:
        """One step; returns (the negative ELBO, its KL part), batch means in nats per digit."""
        cfg = self.cfg
        idx = torch.randint(len(self.x_all), (cfg.batch_size,), generator=self.generator)
        eps = torch.randn((cfg.batch_size, cfg.latent_dim), generator=self.generator)
        out = vae_loss(self.model, self.x_all[idx].to(self.device), eps.to(self.device))
        loss = out.loss.mean()
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"the negative ELBO became {loss.item()} at step {self.steps_done}; lower --lr")
        self.descend(loss)
        self.end_step()
        return loss.item(), out.kl.mean().item()


def train(cfg: VAEConfig, resume: bool = False, progress: bool = True) -> dict:
    """Maximise the ELBO for cfg.steps steps (continuing from the saved state with `resume`); returns the manifest.

    1. Seed: torch.manual_seed(seed) initialises the VAE; a CPU generator seeded with `seed` draws every batch.
    2. `run` the VAETrainer's steps (each with the EMA: θ_ema ← d·θ_ema + (1 − d)·θ, d = min(ema_decay,
       (1 + step)/(10 + step))), logging and saving the state as they go.
    3. Save the EMA weights and the manifest (with the measured quality unless cfg.evaluate is off).
    """
    set_threads(cfg)
    device = default_device()
    x_all = load_digits_split().x_train  # (N, 1, 8, 8), on the CPU
    torch.manual_seed(cfg.seed)  # 1.
    class_name, config = cfg.model_spec
    trainer = VAETrainer(cfg, ConvVAE(**config).to(device), x_all)
    paths = run(trainer, ("loss", "kl"), f"train vae z{cfg.latent_dim}", resume, progress)  # 2.

    ema = trainer.ema.eval()  # 3.
    manifest = {"data": "digits", "latent_dim": cfg.latent_dim, "steps": cfg.steps, "seed": cfg.seed,
                "batch_size": cfg.batch_size, "lr": cfg.lr, "ema_decay": cfg.ema_decay, "command": cfg.command(),
                "final_loss": final_loss(paths["csv"], cfg.log_every),
                "final_loss_means": "negative ELBO (eq. 10), nats per training digit, one draw of ε",
                "quality": evaluate(ema, cfg.seed) if cfg.evaluate else None, "trained_on": str(device)}
    return save_checkpoint(ema, class_name, manifest, paths["stem"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference.training.vae", description=__doc__.split("\n\n")[0])
    parser.add_argument("--latent-dim", type=int, required=True, help="the size of z")
    add_common_arguments(parser, steps=3000, batch_size=128, lr=1e-3, ema_decay=0.995,
                         out_example="reference/weights/latent/vae_z2")
    cfg, resume = parse_config(parser, VAEConfig, argv)
    manifest = train(cfg, resume=resume)
    print(json.dumps({k: manifest[k] for k in ("final_loss", "quality", "sha256")}, indent=2))


if __name__ == "__main__":
    main()
