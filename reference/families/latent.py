"""Latent diffusion (Rombach et al. 2022): a DDPM fitted to a VAE's latents, sampled there and decoded.

A VAE (reference/families/vae.py) is trained with the prior p(z) = N(0, I), but what its encoder actually produces for the
data is the aggregated posterior q(z) = (1/N) Σ_n q_φ(z | x_n). The two differ, so decoding prior draws gives
digits the decoder never learned to draw. Latent diffusion fits a DDPM to q(z) instead:

1. Standardise: ẑ = (z − m) / s, with m and s the per-dimension mean and standard deviation of the training
   digits' posterior means μ_φ(x_n) (Rombach et al. §4.3 rescale their latents to unit variance the same way).
2. Train ε_θ(ẑ_t, t) by Algorithm 1 and L_simple (Ho et al. eq. 14) on draws ẑ of q(z) — `reference.training`
   with `--data latent --vae <checkpoint>`; ε_θ is the toy sets' MLPDenoiser, in latent_dim dimensions.
3. Sample ẑ_0 by Algorithm 2 (or DDIM), un-standardise z = s ⊙ ẑ_0 + m, and decode x = μ_θ(z), the mean of
   p_θ(x | z): `sample_latent_ddpm`, on top of the existing samplers, `decode_latents`.

Latents are (B, latent_dim); digits (B, 1, 8, 8) in [−1, 1]. The shipped pairs live in reference/weights/latent/
(`vae_z2` + `ddpm_z2`, `vae_z8` + `ddpm_z8`), apart from the pixel-space denoisers that `available_checkpoints` lists.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch
from safetensors.torch import load_file

from ..checkpoints import WEIGHTS_DIR, Checkpoint, load_checkpoint, sha256_of
from ..data import load_digits_split
from ..device import default_device
from ..evaluate import bits_per_dim, digit_quality, digits_classifier, sliced_wasserstein, support_precision
from ..diffusion.options import SAMPLERS, Sampler, check_option
from ..diffusion.sampling import sample_ddim, sample_ddpm
from ..diffusion.schedules import Schedule
from .vae import ConvVAE

LATENT_DIR = WEIGHTS_DIR / "latent"
LATENT_DIMS = (2, 8)  # the shipped VAEs' latent sizes
TRAIN_DRAWS = 16  # draws z ~ q_φ(z | x) per training digit in the latent DDPM's fixed training set
LATENT_SEED = 0  # the seed of those draws
HELDOUT_SEED = 1  # the seed of the one draw z ~ q_φ(z | x) per held-out (test) digit
DISTANCE_SETS = 8  # sets of samples, each as large as the held-out q(z) draws, that a distance is averaged over
QUALITY_SAMPLES = 500  # decoded samples the latent DDPM manifest's classifier figures label


class LatentStats(NamedTuple):
    """Per-dimension mean m and standard deviation s of the training digits' posterior means, (latent_dim,) each."""

    mean: torch.Tensor
    std: torch.Tensor

    def standardize(self, z: torch.Tensor) -> torch.Tensor:
        """ẑ = (z − m) / s, (B, latent_dim)."""
        return (z - self.mean.to(z)) / self.std.to(z)

    def unstandardize(self, z_hat: torch.Tensor) -> torch.Tensor:
        """z = s ⊙ ẑ + m, (B, latent_dim): back to the space the VAE's decoder reads."""
        return self.std.to(z_hat) * z_hat + self.mean.to(z_hat)


def posterior_means(vae: ConvVAE, x: torch.Tensor) -> torch.Tensor:
    """μ_φ(x), (B, latent_dim): the mean of q_φ(z | x) for digits x (B, 1, 8, 8)."""
    with torch.no_grad():
        return vae.encode(x)[0]


def latent_stats(vae: ConvVAE, x: torch.Tensor) -> LatentStats:
    """m and s over the posterior means of the digits x (the training digits, for the shipped models)."""
    mu = posterior_means(vae, x).double()  # (N, latent_dim)
    return LatentStats(mu.mean(0), mu.std(0))


def aggregated_posterior(vae: ConvVAE, x: torch.Tensor, draws: int = 1,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """Draws of q(z) = (1/N) Σ_n q_φ(z | x_n): `draws` draws z = μ_φ(x_n) + σ_φ(x_n) ⊙ ε per digit, (N·draws, d),
    the draws of digit n in rows n·draws … n·draws + draws − 1."""
    with torch.no_grad():
        mean, log_variance = vae.encode(x)  # (N, d) each
    eps = torch.randn((len(x), draws, vae.latent_dim), generator=generator, device=mean.device)
    z = mean[:, None] + torch.exp(0.5 * log_variance)[:, None] * eps  # (N, draws, d)
    return z.reshape(-1, vae.latent_dim)


def decode_latents(vae: ConvVAE, z: torch.Tensor) -> torch.Tensor:
    """x = μ_θ(z), (B, 1, 8, 8): the decoder's mean, without pixel noise, for latents z (B, latent_dim)."""
    with torch.no_grad():
        return vae.decode(z)


def sample_prior(vae: ConvVAE, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(z, x): n draws z ~ p(z) = N(0, I), (n, d), and their decoded digits μ_θ(z), (n, 1, 8, 8)."""
    device = next(vae.parameters()).device if generator is None else generator.device
    z = torch.randn((n, vae.latent_dim), generator=generator, device=device)
    return z, decode_latents(vae, z)


class LatentSamples(NamedTuple):
    """One run of `sample_latent_ddpm`: ẑ_0 (B, d) in standardised space, z (B, d), decoded x (B, 1, 8, 8)."""

    z_hat: torch.Tensor
    z: torch.Tensor
    x: torch.Tensor


def sample_latent_ddpm(eps_model, schedule: Schedule, vae: ConvVAE, stats: LatentStats, n: int, *,
                       sampler: Sampler = "ddpm", steps: int = 50, clip_x0: float | None = None,
                       generator: torch.Generator | None = None,
                       progress: Callable[[int, int], None] | None = None) -> LatentSamples:
    """Sample a latent DDPM and decode: the latent-diffusion sampler of Rombach et al. 2022.

    1. ẑ_0 ~ p_θ(ẑ_0) by Algorithm 2 of Ho et al. (sampler "ddpm", σ_t² = β_t, all T steps) or DDIM (sampler
       "ddim": `steps` trailing steps, η = 0, x̂0 clipped to ±clip_x0), in the standardised space ε_θ was trained in.
    2. Un-standardise: z = s ⊙ ẑ_0 + m.
    3. Decode: x = μ_θ(z), the mean of the VAE's p_θ(x | z).
    """
    check_option("sampler", sampler, SAMPLERS)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    shape = (n, vae.latent_dim)
    device = next(vae.parameters()).device
    if sampler == "ddpm":  # 1.
        z_hat = sample_ddpm(eps_model, shape, schedule, generator=generator, progress=progress, device=device)
    else:
        z_hat = sample_ddim(eps_model, shape, schedule, steps=steps, generator=generator, clip_x0=clip_x0,
                            progress=progress, device=device)
    z = stats.unstandardize(z_hat)  # 2.
    return LatentSamples(z_hat, z, decode_latents(vae, z))  # 3.


def training_latents(vae: ConvVAE, x_train: torch.Tensor, draws: int = TRAIN_DRAWS,
                     seed: int = LATENT_SEED) -> tuple[torch.Tensor, LatentStats]:
    """The latent DDPM's fixed training set: `draws` standardised draws ẑ of q(z) per training digit, (N·draws, d),
    on the CPU, with the statistics (m, s) that standardise them."""
    device = next(vae.parameters()).device
    stats = latent_stats(vae, x_train.to(device))
    z = aggregated_posterior(vae, x_train.to(device), draws, torch.Generator(device=device).manual_seed(seed))
    return stats.standardize(z).float().cpu(), stats


# --- checkpoints ------------------------------------------------------------------------------------------------


def vae_path(latent_dim: int) -> Path:
    """The shipped VAE with `latent_dim` latents, without suffix: reference/weights/latent/vae_z<d>."""
    return LATENT_DIR / f"vae_z{latent_dim}"


def ddpm_path(latent_dim: int) -> Path:
    """The shipped DDPM on that VAE's standardised latents: reference/weights/latent/ddpm_z<d>."""
    return LATENT_DIR / f"ddpm_z{latent_dim}"


def load_vae(path: Path | str, device: torch.device | str | None = None) -> tuple[ConvVAE, dict]:
    """(the VAE in eval mode on `device` (default_device()), its manifest) from `path`.json + .safetensors.

    The weights file's sha256 must match the manifest's, and its tensors the manifest's ConvVAE config (ValueError).
    """
    stem = Path(path).with_suffix("") if Path(path).suffix in (".json", ".safetensors") else Path(path)
    manifest = json.loads(stem.with_suffix(".json").read_text())
    weights = stem.with_suffix(".safetensors")
    digest = sha256_of(weights)
    if digest != manifest["sha256"]:
        raise ValueError(f"VAE weights {weights} are corrupt or replaced: sha256 {digest} does not match the "
                         f"manifest's {manifest['sha256']}")
    vae = ConvVAE(**manifest["model"]["config"])
    try:
        vae.load_state_dict(load_file(str(weights)))
    except RuntimeError as e:
        raise ValueError(f"VAE weights {weights} do not match the manifest's ConvVAE config: {e}") from None
    device = default_device() if device is None else torch.device(device)
    return vae.to(device).eval(), manifest


@dataclass
class LatentDiffusion:
    """A shipped pair: the VAE, the DDPM on its standardised latents (a Checkpoint), and the (m, s) between them."""

    vae: ConvVAE
    vae_manifest: dict
    ddpm: Checkpoint
    stats: LatentStats

    @property
    def latent_dim(self) -> int:
        return self.vae.latent_dim

    @property
    def ddim_clip(self) -> float:
        """The range DDIM clips its prediction of ẑ_0 (x̂0 in the samplers) to: the training set's largest |ẑ|,
        rounded up (`ddim_clip_for`)."""
        return self.ddpm.manifest["latent"]["ddim_clip_x0"]

    def sample(self, n: int, **kwargs) -> LatentSamples:
        """`sample_latent_ddpm` with this pair (kwargs: sampler, steps, generator, progress)."""
        kwargs.setdefault("clip_x0", self.ddim_clip if kwargs.get("sampler") == "ddim" else None)
        return sample_latent_ddpm(self.ddpm.model, self.ddpm.schedule.to(self.stats.mean.device), self.vae,
                                  self.stats, n, **kwargs)


def load_latent_diffusion(latent_dim: int, device: torch.device | str | None = None) -> LatentDiffusion:
    """The shipped VAE with `latent_dim` latents and its latent DDPM, checked to belong together (the VAE's sha256
    is the one the DDPM was trained on)."""
    if latent_dim not in LATENT_DIMS:
        raise ValueError(f"latent_dim must be one of {LATENT_DIMS}; got {latent_dim!r}")
    ddpm = load_checkpoint(ddpm_path(latent_dim), device)
    device = next(ddpm.model.parameters()).device
    info = ddpm.manifest["latent"]
    vae, vae_manifest = load_vae(ddpm_path(latent_dim).parent / info["vae"], device)
    if vae_manifest["sha256"] != info["vae_sha256"]:
        raise ValueError(f"{ddpm_path(latent_dim)} was trained on the latents of a VAE with sha256 "
                         f"{info['vae_sha256']}, not {vae_manifest['sha256']}")
    stats = LatentStats(torch.tensor(info["mean"], device=device), torch.tensor(info["std"], device=device))
    return LatentDiffusion(vae, vae_manifest, ddpm, stats)


def ddim_clip_for(z_hat: torch.Tensor) -> float:
    """max |ẑ| over a training set, rounded up to an integer: the range DDIM's x̂0 is clipped to."""
    return float(math.ceil(float(z_hat.abs().max())))


# --- how close samples come to q(z) -------------------------------------------------------------------------------


def heldout_latents(vae: ConvVAE, x_test: torch.Tensor, seed: int = HELDOUT_SEED) -> torch.Tensor:
    """One draw z ~ q_φ(z | x) per held-out digit, (N, d): a sample of the held-out aggregated posterior."""
    generator = torch.Generator(device=next(vae.parameters()).device).manual_seed(seed)
    return aggregated_posterior(vae, x_test, 1, generator)



def distances_to_aggregated_posterior(samples: dict[str, torch.Tensor],
                                      heldout: torch.Tensor) -> dict[str, dict[str, float]]:
    """How close each named set of latents (K·N, d) comes to the N held-out draws of q(z) (N, d), as the mean over
    its K consecutive chunks of N:

    - the sliced 1-Wasserstein distance (`evaluate.sliced_wasserstein`, 256 random directions), lower is closer;
    - the share of the chunk on the held-out draws' support (`evaluate.support_precision`, k = 3: inside the ball
      around some held-out draw that reaches its 3rd nearest neighbour), higher is closer.

    With N = 360 test digits one chunk's distance wobbles by about ±0.03 from draw to draw; K = DISTANCE_SETS
    chunks bring that down √K-fold. The held-out draws' own sampling noise stays: compare with the distance a second
    sample of q(z) reaches (the training digits' draws, in `evaluate_latent_ddpm` and on the page).
    """
    n = len(heldout)
    out = {}
    for name, z in samples.items():
        if z.dim() != 2 or len(z) % n or z.shape[1] != heldout.shape[1]:
            raise ValueError(f"{name}: latents must be (K·{n}, {heldout.shape[1]}); got {tuple(z.shape)}")
        chunks = z.split(n)
        out[name] = {"sliced_wasserstein": sum(sliced_wasserstein(c, heldout) for c in chunks) / len(chunks),
                     "support_precision": sum(support_precision(c, heldout) for c in chunks) / len(chunks),
                     "sets": len(chunks)}
    return out


def training_digits_posterior(vae: ConvVAE, x_train: torch.Tensor, n: int, sets: int = DISTANCE_SETS,
                              seed: int = 0) -> torch.Tensor:
    """`sets` random subsets of n training digits, one draw z ~ q_φ(z | x) each, (sets·n, d): second samples of
    q(z), for the distance that sampling noise alone gives `distances_to_aggregated_posterior`."""
    generator = torch.Generator().manual_seed(seed)
    picks = torch.cat([torch.randperm(len(x_train), generator=generator)[:n] for _ in range(sets)])
    device = next(vae.parameters()).device
    return aggregated_posterior(vae, x_train[picks].to(device), 1, torch.Generator(device=device).manual_seed(seed))


# --- what the latent DDPM's manifest records ----------------------------------------------------------------------

HELDOUT_TEXT = (f"one draw z ~ q_φ(z | x) per test digit (seed {HELDOUT_SEED}), standardised, continuous decoder")


def latent_manifest(vae: str, z_hat_train: torch.Tensor) -> dict:
    """The manifest's "latent" block: which VAE (name beside this checkpoint, and sha256), the standardisation
    (m, s) and the training draws, and the range DDIM clips ẑ_0's prediction to."""
    model, manifest = load_vae(vae, "cpu")
    stats = latent_stats(model, load_digits_split().x_train)
    return {"vae": Path(vae).name, "vae_sha256": manifest["sha256"], "mean": stats.mean.tolist(),
            "std": stats.std.tolist(), "standardised_by": "mean and std of the training digits' posterior means",
            "train_draws": TRAIN_DRAWS, "draw_seed": LATENT_SEED, "ddim_clip_x0": ddim_clip_for(z_hat_train)}


def evaluate_latent_ddpm(eps_model, schedule: Schedule, vae: ConvVAE, seed: int) -> tuple[float, dict]:
    """(bits/dim of the held-out ẑ, the quality figure) for a latent DDPM in eval mode, both models on one device.

    1. Bits/dim of one standardised draw ẑ per test digit, with the continuous decoder (a density, as for the toys).
    2. QUALITY_SAMPLES decoded samples of Algorithm 2 (`sample_latent_ddpm`) and as many decoded prior draws,
       labelled by the digits classifier (`evaluate.digit_quality`).
    3. How close latent DDPM samples, prior draws and the training digits' q(z) draws come to the held-out q(z)
       draws (`distances_to_aggregated_posterior`); the training digits' figure is the floor two samples of the
       same q(z) reach at this size.
    """
    device = next(vae.parameters()).device
    split = load_digits_split()
    stats = latent_stats(vae, split.x_train.to(device))
    heldout = heldout_latents(vae, split.x_test.to(device))  # (N_test, d)
    bpd = bits_per_dim(eps_model, stats.standardize(heldout), schedule, decoder="continuous", seed=seed)  # 1.
    generator = torch.Generator(device=device).manual_seed(seed)
    ddpm = sample_latent_ddpm(eps_model, schedule, vae, stats, QUALITY_SAMPLES, generator=generator)  # 2.
    prior_z, prior_x = sample_prior(vae, QUALITY_SAMPLES, generator)
    classifier = digits_classifier()
    n = len(heldout) * DISTANCE_SETS  # 3.
    distances = distances_to_aggregated_posterior(
        {"latent_ddpm": sample_latent_ddpm(eps_model, schedule, vae, stats, n, generator=generator).z,
         "prior": sample_prior(vae, n, generator)[0],
         "train_digits": training_digits_posterior(vae, split.x_train, len(heldout), seed=seed)}, heldout)
    quality = {"metric": "digits_classifier", "n_samples": QUALITY_SAMPLES, "sample_seed": seed,
               "sampler": "ddpm, fixed_large, decoded by the VAE's mean μ_θ(z)",
               **digit_quality(ddpm.x, classifier),
               "prior": digit_quality(prior_x, classifier),
               "aggregated_posterior": {"heldout": f"one draw z ~ q_φ(z | x) per test digit ({len(heldout)}, seed "
                                                   f"{HELDOUT_SEED})", "samples": n, **distances}}
    return bpd, quality
