"""The math of the families comparison's VAE, GAN and flow (reference/families/flow.py, gan.py, vae_mlp.py, vae.py), checked
against independent computations: autograd Jacobians, numerical integration, quadrature over the latent."""
import math

import pytest
import torch

from reference.families.comparison import heldout_bits_per_dim
from reference.families.flow import RealNVP, dequantized_log_prob
from reference.families.gan import MLPGAN, discriminator_loss, generator_loss
from reference.diffusion.losses import gaussian_log_likelihood
from reference.families.vae import importance_weighted_log_likelihood, vae_loss
from reference.families.vae_mlp import MLPVAE


def _random_flow(data_shape=(2,), seed=0, scale=0.3, couplings=4) -> RealNVP:
    """A RealNVP whose zero-initialised last layers are replaced by random weights: far from the identity."""
    torch.manual_seed(seed)
    flow = RealNVP(list(data_shape), couplings=couplings, hidden=16, layers=2).double()
    with torch.no_grad():
        for net in flow.nets:
            net[-1].weight.normal_(0, scale)
            net[-1].bias.normal_(0, scale)
    return flow


def test_flow_log_det_equals_the_autograd_jacobian():
    """Is the flow's analytic log |det ∂f/∂x| (eq. 6) the log |det| of the Jacobian autograd computes?"""
    flow = _random_flow(data_shape=(4,))
    x = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    _, log_det = flow(x)
    for i in range(len(x)):
        jacobian = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])  # (4, 4)
        assert torch.linalg.slogdet(jacobian).logabsdet.item() == pytest.approx(log_det[i].item(), abs=1e-10)


def test_flow_inverts_exactly():
    """Does inverse(forward(x)) give back x, for vectors and for images?"""
    for shape in ((2,), (1, 8, 8)):
        flow = _random_flow(shape)
        x = torch.randn(5, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
        z, _ = flow(x)
        assert flow.inverse(z).shape == x.shape
        assert torch.allclose(flow.inverse(z), x, atol=1e-10)


def test_flow_density_integrates_to_one():
    """Does the density log p(x) = log N(f(x); 0, I) + log |det| (eq. 3) integrate to 1 over a 2-D grid?"""
    flow = _random_flow(scale=0.2)
    edges = torch.linspace(-8, 8, 801, dtype=torch.float64)
    step = float(edges[1] - edges[0])
    grid = torch.cartesian_prod(edges, edges)  # (801², 2)
    with torch.no_grad():
        mass = flow.log_prob(grid).exp().sum().item() * step**2
    assert mass == pytest.approx(1.0, abs=5e-3)


def test_flow_samples_are_inverse_images_of_normal_draws():
    """Is a sample f⁻¹(z) mapped back by f onto the same z, and does sample() give (n, *S)?"""
    flow = _random_flow((1, 8, 8))
    x = flow.sample(6, torch.Generator().manual_seed(0))
    assert x.shape == (6, 1, 8, 8)
    z = torch.randn(6, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(flow(x)[0], z, atol=1e-8)


def test_dequantized_bound_lies_below_the_bins_log_probability():
    """For the untrained flow (f = identity, so p = N(0, I)), does the dequantised log p(x + (u − ½)Δ) + D log Δ
    average over u to its closed form Σ_j [−½ log 2π − ½(x_j² + Δ²/12)] + D log Δ, which lies below the exact log P
    of x's bin, Σ_j log(Φ(x_j + Δ/2) − Φ(x_j − Δ/2))?"""
    flow = RealNVP([3]).double()
    width = 2 / 255
    x0 = torch.tensor([[-1.0, 0.0, 128 / 127.5 - 1]], dtype=torch.float64)
    u = torch.rand(20000, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        mc = dequantized_log_prob(flow, x0.expand(len(u), 3), u, width).mean().item()
    closed = (-0.5 * math.log(2 * math.pi) - 0.5 * (x0**2 + width**2 / 12)).sum().item() + 3 * math.log(width)
    exact = torch.log(torch.special.ndtr(x0 + width / 2) - torch.special.ndtr(x0 - width / 2)).sum().item()
    assert mc == pytest.approx(closed, abs=1e-4)  # Monte Carlo: the sd of the mean is about 2e-5
    assert closed < exact and exact - closed < 1e-4


def test_vae_bounds_lie_below_log_p_by_quadrature():
    """With a 1-D latent, log p(x) = log ∫ p(x | z) p(z) dz by quadrature: is the ELBO below it, the importance-weighted
    bound between the two, and close to log p with 4096 draws?"""
    torch.manual_seed(0)
    vae = MLPVAE([2], latent_dim=1, hidden=16, layers=2).double()
    with torch.no_grad():
        vae.log_sigma_x.fill_(math.log(0.3))
    x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    z = torch.linspace(-10, 10, 20001, dtype=torch.float64)[:, None]  # (Z, 1)
    with torch.no_grad():
        x_mean = vae.decode(z)  # (Z, 2)
        log_joint = torch.stack([vae.decoder_log_likelihood(xi.expand(len(z), 2), x_mean) for xi in x])  # (B, Z)
        log_joint = log_joint + gaussian_log_likelihood(z[:, 0], 0.0, 0.0)
        log_p = torch.logsumexp(log_joint, dim=1) + math.log(float(z[1] - z[0]))
        generator = torch.Generator().manual_seed(4)
        elbo = -torch.stack([vae_loss(vae, x, torch.randn(4, 1, generator=generator, dtype=torch.float64)).loss
                             for _ in range(2000)]).mean(0)
        iw = importance_weighted_log_likelihood(vae, x, torch.randn(4096, 4, 1, generator=generator,
                                                                    dtype=torch.float64))
    assert (elbo < log_p).all(), (elbo, log_p)
    assert (elbo <= iw + 1e-3).all() and (iw <= log_p + 0.02).all(), (elbo, iw, log_p)
    assert torch.allclose(iw, log_p, atol=0.05), (iw, log_p)


def test_discrete_vae_gives_probabilities():
    """Is the discrete decoder's log P(x | z) ≤ 0 (a probability of 8-bit bins), and so bits/dim ≥ 0, while a
    continuous decoder with a small σ can give a density above 1?"""
    torch.manual_seed(0)
    x = torch.round(torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(5)) * 255) / 127.5 - 1
    vae = MLPVAE([1, 8, 8], latent_dim=2, hidden=32, decoder="discrete")
    with torch.no_grad():
        vae.log_sigma_x.fill_(-6.0)
        assert (vae.decoder_log_likelihood(x, x) <= 0).all()
        bits = heldout_bits_per_dim(vae, x, discrete=True)
    assert bits["bits_per_dim"] >= 0 and bits["likelihood"] == "bound"
    continuous = MLPVAE([1, 8, 8], latent_dim=2, hidden=32)
    with torch.no_grad():
        continuous.log_sigma_x.fill_(-6.0)
        assert (continuous.decoder_log_likelihood(x, x) > 0).all()
    with pytest.raises(ValueError, match="decoder"):
        heldout_bits_per_dim(continuous, x, discrete=True)


def test_gan_shapes_and_loss_signs():
    """Do G and D have the right shapes, are both losses positive, does G's loss fall as D calls its samples real,
    and does each loss's gradient reach only the network it trains?"""
    torch.manual_seed(0)
    gan = MLPGAN([1, 8, 8], latent_dim=4, hidden=16, layers=2, tanh_output=True)
    z = torch.randn(5, 4)
    x = gan.generate(z)
    assert x.shape == (5, 1, 8, 8) and x.abs().max() < 1
    assert gan.discriminate(x).shape == (5,) and gan.sample(3).shape == (3, 1, 8, 8)
    real = torch.zeros(5, 1, 8, 8)
    d_loss, g_loss = discriminator_loss(gan, real, z), generator_loss(gan, z)
    assert d_loss.shape == g_loss.shape == (5,) and (d_loss > 0).all() and (g_loss > 0).all()

    last = gan.discriminator[-1]
    bias = last.parametrizations.bias.original if hasattr(last, "parametrizations") and hasattr(
        last.parametrizations, "bias") else last.bias
    losses = []
    for logit_shift in (-3.0, 0.0, 3.0):  # D's logit raised everywhere: it calls everything more real
        with torch.no_grad():
            bias.fill_(logit_shift)
        losses.append(generator_loss(gan, z).mean().item())
    assert losses[0] > losses[1] > losses[2]

    gan.zero_grad()
    discriminator_loss(gan, real, z).mean().backward()
    assert all(p.grad is None for p in gan.generator.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in gan.discriminator.parameters())
    gan.zero_grad(set_to_none=True)
    generator_loss(gan, z).mean().backward()
    assert all(p.grad is not None for p in gan.generator.parameters())
    assert heldout_bits_per_dim(gan, real, discrete=True) == {"bits_per_dim": None, "likelihood": "none"}


@pytest.mark.parametrize("bad", [{"couplings": 0}, {"hidden": 1.5}, {"data_shape": []}, {"data_shape": [2, 0]}])
def test_bad_configs_are_refused(bad):
    """Is a bad flow config refused with a ValueError naming the setting?"""
    with pytest.raises(ValueError, match=next(iter(bad))):
        RealNVP(**{"data_shape": [2], **bad})
