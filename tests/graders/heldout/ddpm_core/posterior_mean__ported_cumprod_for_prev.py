# task: posterior_mean
# expect: alpha_bar_for_alpha_bar_prev
import torch


def posterior_mean(x0, x_t, t, betas):
    """Held-out: improved-diffusion-style buffers, alphas_cumprod where alphas_cumprod_prev belongs in coef1."""
    alphas = 1.0 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    alphas_cumprod_prev = torch.cat([torch.tensor([1.0], dtype=betas.dtype), alphas_cumprod[:-1]])
    coef1 = betas * torch.sqrt(alphas_cumprod) / (1.0 - alphas_cumprod)
    coef2 = (1.0 - alphas_cumprod_prev) * torch.sqrt(alphas) / (1.0 - alphas_cumprod)

    def extract(a, ts, shape):
        return a.gather(-1, ts).reshape(ts.shape[0], *((1,) * (len(shape) - 1)))

    return (extract(coef1, t, x_t.shape) * x0 + extract(coef2, t, x_t.shape) * x_t).to(x0.dtype)
