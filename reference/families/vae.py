"""A small convolutional VAE for the 8×8 digits (Kingma & Welling 2014), whose latents reference/families/latent.py diffuses.

Encoder q_φ(z | x) = N(μ_φ(x), diag σ_φ²(x)); decoder p_θ(x | z) = N(μ_θ(z), σ_x²·I) with one learned σ_x for every
pixel; prior p(z) = N(0, I). Trained by maximising the ELBO (K&W eq. 3), estimated with one reparameterised draw
z = μ_φ(x) + σ_φ(x) ⊙ ε, ε ~ N(0, I) (§2.4), and the KL in closed form (Appendix B): K&W eq. 10.
Digits are (B, 1, 8, 8) in [−1, 1], as `load_digits_split` gives them; latents are (B, latent_dim).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from ..diffusion.losses import gaussian_log_likelihood, normal_kl


class ConvVAE(nn.Module):
    """encode(x) -> (mean, log_variance) of q_φ(z | x); decode(z) -> μ_θ(z), the mean of p_θ(x | z).

    Encoder: 3×3 convolutions 8×8 → 4×4 → 2×2 (stride 2), then a linear map to 2·latent_dim numbers.
    Decoder: a linear map to 2×2, then 4×4 transposed convolutions 2×2 → 4×4 → 8×8 and a 3×3 convolution to one
    channel. `log_sigma_x` is the decoder's log σ_x, learned with the rest. Built from its plain `config` dict.
    """

    def __init__(self, latent_dim: int = 2, channels: int = 32):
        super().__init__()
        for key, value in {"latent_dim": latent_dim, "channels": channels}.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ConvVAE {key} must be a positive integer; got {value!r}")
        self.config = {"latent_dim": latent_dim, "channels": channels}
        self.latent_dim = latent_dim
        c = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.SiLU(),  # (B, c, 8, 8)
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.SiLU(),  # (B, 2c, 4, 4)
            nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1), nn.SiLU(),  # (B, 2c, 2, 2)
            nn.Flatten(), nn.Linear(8 * c, 2 * latent_dim))  # (B, 2·latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 8 * c), nn.SiLU(), nn.Unflatten(1, (2 * c, 2, 2)),  # (B, 2c, 2, 2)
            nn.ConvTranspose2d(2 * c, 2 * c, 4, stride=2, padding=1), nn.SiLU(),  # (B, 2c, 4, 4)
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.SiLU(),  # (B, c, 8, 8)
            nn.Conv2d(c, 1, 3, padding=1))  # (B, 1, 8, 8)
        self.log_sigma_x = nn.Parameter(torch.zeros(()))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_φ(x), log σ_φ²(x)), each (B, latent_dim): the Gaussian q_φ(z | x)."""
        mean, log_variance = self.encoder(x).chunk(2, dim=1)
        return mean, log_variance

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """μ_θ(z), (B, 1, 8, 8): the mean of p_θ(x | z), which is what the lab shows as a decoded digit."""
        return self.decoder(z)

    def decoder_log_likelihood(self, x: torch.Tensor, x_mean: torch.Tensor) -> torch.Tensor:
        """log p_θ(x | z) = log N(x; μ_θ(z), σ_x²·I) per example, (B,), nats, given x_mean = μ_θ(z)."""
        return gaussian_log_likelihood(x, x_mean, 2 * self.log_sigma_x).flatten(1).sum(1)


class VAELoss(NamedTuple):
    """The negative ELBO and its two parts, per example, (B,), in nats: loss = reconstruction + kl."""

    loss: torch.Tensor
    reconstruction: torch.Tensor  # −log p_θ(x | z) at one draw z ~ q_φ(z | x)
    kl: torch.Tensor  # KL(q_φ(z | x) ‖ N(0, I)), in closed form


def reparameterize(mean: torch.Tensor, log_variance: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = μ + σ ⊙ ε (K&W §2.4): a draw of N(μ, diag σ²) that gradients flow through to μ and σ."""
    return mean + torch.exp(0.5 * log_variance) * eps


def vae_loss(vae: nn.Module, x: torch.Tensor, eps: torch.Tensor) -> VAELoss:
    """The negative of K&W eq. 10, per example: −log p_θ(x | z) + KL(q_φ(z | x) ‖ N(0, I)), z = μ + σ ⊙ ε.

    vae: a ConvVAE or any model with its encode, decode and decoder_log_likelihood (reference/families/vae_mlp.py's MLPVAE).
    x: (B, *S), (B, 1, 8, 8) for the ConvVAE; eps: (B, latent_dim) standard normal. The KL is Appendix B's
    −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²), which `normal_kl` computes against N(0, 1) per dimension.
    """
    mean, log_variance = vae.encode(x)  # 1. q_φ(z | x)
    z = reparameterize(mean, log_variance, eps)  # 2. one draw, (B, latent_dim)
    reconstruction = -vae.decoder_log_likelihood(x, vae.decode(z))  # 3. p_θ(x | z), e.g. N(μ_θ(z), σ_x²·I)
    kl = normal_kl(mean, log_variance, torch.zeros_like(mean), 0.0).sum(1)  # 4. closed form
    return VAELoss(reconstruction + kl, reconstruction, kl)



def importance_weighted_log_likelihood(vae: nn.Module, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The importance-weighted bound of Burda et al. 2016 (eq. 8) per example, (B,), nats, with K draws:

        log p_θ(x) ≥ E log (1/K) Σ_k p_θ(x | z_k)·p(z_k) / q_φ(z_k | x),   z_k = μ + σ ⊙ ε_k,

    which equals the ELBO at K = 1 and tightens towards log p_θ(x) as K grows. eps: (K, B, latent_dim).
    """
    K = eps.shape[0]
    mean, log_variance = vae.encode(x)  # (B, latent_dim) each
    log_w = []
    for eps_k in eps:
        z = reparameterize(mean, log_variance, eps_k)
        log_prior = gaussian_log_likelihood(z, torch.zeros_like(z), 0.0).sum(1)
        log_q = gaussian_log_likelihood(z, mean, log_variance).sum(1)
        log_w.append(vae.decoder_log_likelihood(x, vae.decode(z)) + log_prior - log_q)
    return torch.logsumexp(torch.stack(log_w), dim=0) - math.log(K)  # (B,)
