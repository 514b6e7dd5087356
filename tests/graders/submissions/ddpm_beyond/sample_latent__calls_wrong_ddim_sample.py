# task: sample_latent
# expect: calls_wrong_ddim_sample
# upstream-from: ddim_sample__clip_x0_pred
import torch


def sample_latent(model, decoder, z_T, alpha_bar, steps, z_mean, z_std):
    """Right in itself: ẑ0 from the student's own ddim_sample (the planted upstream-from file, wrong), decoded."""
    z0_hat = ddim_sample(model, z_T, alpha_bar, steps, 0.0, torch.zeros(steps, *z_T.shape, dtype=z_T.dtype))
    return decoder(z_std * z0_hat + z_mean)
