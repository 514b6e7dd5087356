"""Does the reference agree with an independent implementation, diffusers' DDPMScheduler and DDIMScheduler?

diffusers keeps its schedules in float32; each scheduler here is upcast to float64 right after construction
(its own betas, re-accumulated in float64), so the comparison measures the math, not float32 rounding.
Agreement is asserted to 1e-6 relative.
"""
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from diffusers.schedulers.scheduling_ddim import rescale_zero_terminal_snr

from reference import Schedule, ddim_timesteps, ddpm_trajectory, diffuse, sample_ddim, sample_ddpm

RTOL = 1e-6
DIFFUSERS_NAME = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


def upcast(scheduler):
    """diffusers' scheduler with its betas re-accumulated in float64."""
    scheduler.betas = scheduler.betas.double()
    scheduler.alphas = 1.0 - scheduler.betas
    scheduler.alphas_cumprod = torch.cumprod(scheduler.alphas, 0)
    scheduler.one = torch.tensor(1.0, dtype=torch.float64)
    if hasattr(scheduler, "final_alpha_cumprod"):
        scheduler.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    return scheduler


def ddpm_pair(name, T=1000, variance="fixed_small"):
    theirs = upcast(DDPMScheduler(num_train_timesteps=T, beta_schedule=DIFFUSERS_NAME[name], clip_sample=False,
                                  variance_type=variance))
    return Schedule.from_betas(theirs.betas, name=name), theirs


def close(ours, theirs):
    torch.testing.assert_close(ours, theirs.to(ours.dtype), rtol=RTOL, atol=1e-12)


class TinyEps(torch.nn.Module):
    """A fixed, smooth, t-dependent ε-model: the same function for both implementations."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(2, 2, generator=g, dtype=torch.float64) * 0.5, requires_grad=False)

    def forward(self, x_t, t):
        return torch.tanh(x_t @ self.w) * (1 + t.to(x_t.dtype)[:, None] / 1000)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_betas_match_diffusers(name):
    """Do our float64 betas equal diffusers' own (float32) schedule to float32 precision?"""
    ours = Schedule.from_name(name, 1000)
    theirs = DDPMScheduler(num_train_timesteps=1000, beta_schedule=DIFFUSERS_NAME[name]).betas
    torch.testing.assert_close(ours.betas.float(), theirs, rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_alpha_bar_and_posterior_variance(name):
    """Do ᾱ_t and β̃_t agree with diffusers at every t?"""
    ours, theirs = ddpm_pair(name)
    close(ours.alpha_bar, theirs.alphas_cumprod)
    close(ours.posterior_variance[1:], torch.stack([theirs._get_variance(t) for t in range(1, 1000)]))


def test_zero_terminal_snr_matches_diffusers():
    """Does our Lin et al. rescale give diffusers' betas, with ᾱ_T = 0?"""
    betas = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear").betas.double()
    ours = Schedule.from_name("linear", 1000, zero_terminal_snr=True)
    close(ours.betas, rescale_zero_terminal_snr(betas))
    assert ours.alpha_bar[-1] == 0


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_diffuse_matches_add_noise(name):
    """Is diffuse (eq. 4) diffusers' add_noise, for a batch mixing t = 0, the middle and T-1?"""
    ours, theirs = ddpm_pair(name)
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(6, 1, 8, 8, generator=g, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 1, 250, 500, 998, 999])
    close(diffuse(x0, t, noise, ours.alpha_bar), theirs.add_noise(x0, noise, t))


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("variance", ["fixed_small", "fixed_large"])
def test_ddpm_loop_matches_step_by_step(name, variance):
    """Does the whole Algorithm 2 loop, with the same x_T and noise stream, end where diffusers' step loop ends?"""
    T = 200
    ours, theirs = ddpm_pair(name, T, variance)
    model = TinyEps()
    x_T = torch.randn(16, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    x = x_T
    g = torch.Generator().manual_seed(3)
    x0_preds = []
    for t in theirs.timesteps:
        out = theirs.step(model(x, torch.full((16,), int(t))), int(t), x, generator=g)
        x, x0_preds = out.prev_sample, x0_preds + [out.pred_original_sample]
    ours_x0, traj = ddpm_trajectory(model, (16, 2), ours, x_T=x_T, generator=torch.Generator().manual_seed(3),
                                    variance=variance)
    close(ours_x0, x)
    close(traj.x0_pred, torch.stack(x0_preds))


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("spacing", ["trailing", "leading"])
def test_ddim_loop_matches_diffusers(name, eta, spacing):
    """Does DDIM over 50 of 1000 steps, same x_T and noise stream, match DDIMScheduler with the same spacing?

    50 divides 1000: diffusers' step takes the previous timestep as t − T // steps, which is its own list's
    neighbour for trailing spacing only when steps divides T (diffusers issue #12633).
    """
    theirs = upcast(DDIMScheduler(num_train_timesteps=1000, beta_schedule=DIFFUSERS_NAME[name], clip_sample=False,
                                  set_alpha_to_one=True, steps_offset=0, timestep_spacing=spacing))
    theirs.set_timesteps(50)
    ours = Schedule.from_betas(theirs.betas, name=name)
    assert ddim_timesteps(1000, 50, spacing) == sorted(int(t) for t in theirs.timesteps)
    model = TinyEps()
    x_T = torch.randn(16, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    x, g = x_T, torch.Generator().manual_seed(5)
    for t in theirs.timesteps:
        x = theirs.step(model(x, torch.full((16,), int(t))), int(t), x, eta=eta, generator=g).prev_sample
    ours_x0 = sample_ddim(model, (16, 2), ours, steps=50, eta=eta, spacing=spacing, x_T=x_T,
                          generator=torch.Generator().manual_seed(5))
    close(ours_x0, x)
