"""A generative adversarial network (Goodfellow et al. 2014) of MLPs: a generator G(z), z ~ N(0, I), and a
discriminator D(x) that outputs the logit of "x is real".

The two play the minimax game of Goodfellow et al. eq. 1,

    min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))],

with D trained on the per-example loss −log D(x) − log(1 − D(G(z))), and G on the non-saturating −log D(G(z)) that
§3 recommends, whose gradient does not vanish while D still rejects G's samples. With the logit ℓ = D(x),
−log σ(ℓ) = softplus(−ℓ) and −log(1 − σ(ℓ)) = softplus(ℓ). The discriminator's linear layers carry spectral
normalisation (Miyato et al. 2018) when `spectral_norm` is on, which keeps its gradients bounded and training stable.
A GAN defines p(x) only implicitly, as the law of G(z): it has no likelihood. Sampling is one pass of G.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import softplus

from .flow import check_config, mlp


class MLPGAN(nn.Module):
    """generate(z) -> x (B, *S); discriminate(x) -> logits (B,); sample(n) -> (n, *S).

    Config: data_shape (the S of x), latent_dim, hidden width and layers of both networks, `tanh_output` (G's
    output squashed to (−1, 1), for data on [−1, 1]) and `spectral_norm` (on D's linear layers).
    """

    def __init__(self, data_shape: list[int] = (2,), latent_dim: int = 2, hidden: int = 128, layers: int = 3,
                 tanh_output: bool = False, spectral_norm: bool = True):
        super().__init__()
        data_shape = list(data_shape)
        check_config("MLPGAN", {"latent_dim": latent_dim, "hidden": hidden, "layers": layers}, data_shape)
        self.config = {"data_shape": data_shape, "latent_dim": latent_dim, "hidden": hidden, "layers": layers,
                       "tanh_output": bool(tanh_output), "spectral_norm": bool(spectral_norm)}
        self.data_shape, self.latent_dim, self.tanh_output = tuple(data_shape), latent_dim, bool(tanh_output)
        D = math.prod(data_shape)
        self.generator = mlp(latent_dim, hidden, layers, D, nn.SiLU)
        self.discriminator = mlp(D, hidden, layers, 1, lambda: nn.LeakyReLU(0.2))
        if spectral_norm:
            for i, layer in enumerate(self.discriminator):
                if isinstance(layer, nn.Linear):
                    self.discriminator[i] = nn.utils.parametrizations.spectral_norm(layer)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """x = G(z), (B, *S), for z (B, latent_dim)."""
        x = self.generator(z)
        return (torch.tanh(x) if self.tanh_output else x).reshape(len(z), *self.data_shape)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """D's logit ℓ(x), (B,): D(x) = σ(ℓ) is its probability that x is a real example."""
        return self.discriminator(x.flatten(1)).squeeze(1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws G(z), z ~ N(0, I), (n, *S)."""
        device = next(self.generator.parameters()).device
        return self.generate(torch.randn((n, self.latent_dim), generator=generator, device=device))


def discriminator_loss(gan: MLPGAN, x_real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """−log D(x) − log(1 − D(G(z))) per example, (B,), nats (the negative of eq. 1's inner objective); G's samples
    are detached, so the gradient reaches D alone."""
    x_fake = gan.generate(z).detach()
    return softplus(-gan.discriminate(x_real)) + softplus(gan.discriminate(x_fake))


def generator_loss(gan: MLPGAN, z: torch.Tensor) -> torch.Tensor:
    """The non-saturating −log D(G(z)) per example, (B,), nats (Goodfellow et al. §3)."""
    return softplus(-gan.discriminate(gan.generate(z)))
