# task: sample_loop
# expect: clip_x0_pred
import torch


def sample_loop(model, x_T, betas, noises):
    """Held-out: a port of diffusers' DDPMScheduler.step with clip_sample=True (its default)."""
    alphas = 1.0 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    sample = x_T
    for t in range(len(betas) - 1, -1, -1):
        model_output = model(sample, torch.full((sample.shape[0],), t, dtype=torch.long))
        alpha_prod_t = alphas_cumprod[t]
        alpha_prod_t_prev = alphas_cumprod[t - 1] if t > 0 else torch.tensor(1.0, dtype=betas.dtype)
        beta_prod_t, beta_prod_t_prev = 1 - alpha_prod_t, 1 - alpha_prod_t_prev
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t
        pred_original_sample = (sample - beta_prod_t ** 0.5 * model_output) / alpha_prod_t ** 0.5
        pred_original_sample = pred_original_sample.clamp(-1, 1)
        coef_x0 = alpha_prod_t_prev ** 0.5 * current_beta_t / beta_prod_t
        coef_xt = current_alpha_t ** 0.5 * beta_prod_t_prev / beta_prod_t
        pred_prev = coef_x0.to(sample.dtype) * pred_original_sample + coef_xt.to(sample.dtype) * sample
        if t > 0:
            pred_prev = pred_prev + (current_beta_t ** 0.5).to(sample.dtype) * noises[t]
        sample = pred_prev
    return sample
