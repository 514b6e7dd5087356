"""A small MLP VAE (Kingma & Welling 2014) for any data shape: the VAE of the families comparison, on the 2-D toy
sets and on the flattened 8×8 digits.

Encoder q_φ(z | x) = N(μ_φ(x), diag σ_φ²(x)); prior p(z) = N(0, I); decoder p_θ(x | z) with mean μ_θ(z) and one
learned σ_j per data dimension j, either
- "continuous": the density N(x; μ_θ(z), diag σ²), for real-valued data (the toys), or
- "discrete": that Gaussian integrated over x's bin of the 8-bit grid on [−1, 1] (Ho et al. 2020 eq. 13, the
  decoder the digits DDPM's bound uses), a probability, so that the ELBO bounds the same discrete log P(x).
It trains by reference/families/vae.py's `vae_loss` (K&W eq. 10) and shares its bounds. Its p(x) = ∫ p_θ(x | z) p(z) dz has
no closed form: the ELBO and the importance-weighted bound bound it from below. Sampling is one decoder pass.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .flow import check_config, mlp
from ..diffusion.losses import discretized_gaussian_log_likelihood, gaussian_log_likelihood
from ..diffusion.options import DECODERS, Decoder


class MLPVAE(nn.Module):
    """encode(x) -> (μ_φ(x), log σ_φ²(x)); decode(z) -> μ_θ(z) (B, *S); decoder_log_likelihood; sample(n).

    Config: data_shape (the S of x), latent_dim, hidden width and layers of both MLPs, and the decoder.
    """

    def __init__(self, data_shape: list[int] = (2,), latent_dim: int = 2, hidden: int = 128, layers: int = 2,
                 decoder: Decoder = "continuous"):
        super().__init__()
        data_shape = list(data_shape)
        check_config("MLPVAE", {"latent_dim": latent_dim, "hidden": hidden, "layers": layers}, data_shape)
        if decoder not in DECODERS:
            raise ValueError(f"MLPVAE decoder must be one of {', '.join(DECODERS)}; got {decoder!r}")
        self.config = {"data_shape": data_shape, "latent_dim": latent_dim, "hidden": hidden, "layers": layers,
                       "decoder": decoder}
        self.data_shape, self.latent_dim, self.likelihood = tuple(data_shape), latent_dim, decoder
        D = math.prod(data_shape)
        self.encoder = mlp(D, hidden, layers, 2 * latent_dim)
        self.decoder = mlp(latent_dim, hidden, layers, D)
        self.log_sigma_x = nn.Parameter(torch.zeros(D))  # one σ_j per data dimension

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ_φ(x), log σ_φ²(x)), each (B, latent_dim): the Gaussian q_φ(z | x)."""
        mean, log_variance = self.encoder(x.flatten(1)).chunk(2, dim=1)
        return mean, log_variance

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """μ_θ(z), (B, *S): the mean of p_θ(x | z)."""
        return self.decoder(z).reshape(len(z), *self.data_shape)

    def decoder_log_likelihood(self, x: torch.Tensor, x_mean: torch.Tensor) -> torch.Tensor:
        """log p_θ(x | z) per example, (B,), nats, given x_mean = μ_θ(z): a density ("continuous") or the
        probability of x's 8-bit bin ("discrete")."""
        ll = gaussian_log_likelihood if self.likelihood == "continuous" else discretized_gaussian_log_likelihood
        log_variance = (2 * self.log_sigma_x).reshape(self.data_shape)
        return ll(x, x_mean, log_variance).flatten(1).sum(1)

    def sample(self, n: int, generator: torch.Generator | None = None, mean_only: bool = False) -> torch.Tensor:
        """n draws x ~ p_θ(x | z), z ~ N(0, I), (n, *S); with `mean_only`, the decoder means μ_θ(z) instead."""
        device = self.log_sigma_x.device
        x_mean = self.decode(torch.randn((n, self.latent_dim), generator=generator, device=device))
        if mean_only:
            return x_mean
        sigma = self.log_sigma_x.exp().reshape(self.data_shape)
        return x_mean + sigma * torch.randn(x_mean.shape, generator=generator, device=device)
