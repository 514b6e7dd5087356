"""The DDPM mathematics (Ho et al. 2020): schedules, q, the posterior, p_θ, losses, the bound, sampling, guidance.

One idea a module: `schedules` (β and every coefficient), `timesteps` (the convention, `extract`), `q` (eq. 4),
`forward` (eq. 2, step by step), `posterior` (eqs. 6–7), `p` (eqs. 11, 15), `losses` (eqs. 12, 14), `bound`
(eq. 5), `sampling` (Algorithm 2, DDIM), `guidance` (classifier-free), `analytic` (closed-form checks),
`inspection` (the numbers the lab's pages show), `schedule_io` (schedules in files), `options` (typed options).
"""
from .analytic import (GaussianOptimalEps, GridPosterior, PosteriorCheck, gaussian_nll, posterior_check_1d,
                       posterior_on_grid)
from .bound import VLBTerms, prior_kl, vlb_term, vlb_terms
from .forward import (Moments, chain_moments, marginal_moments, moments, moments_gap, q_chain, q_step_sample,
                      standardize, unscaled_step_sample)
from .guidance import guided_model
from .inspection import (PRIOR_NEGLIGIBLE_BITS, BoundSummary, PriorMatching, TerminalSignal, eps_weight_over_simple,
                         log_snr, loss_weight_on_eps, prior_matching, summarize_bound, terminal_signal)
from .losses import (discretized_gaussian_log_likelihood, eps_weight, gaussian_log_likelihood, normal_kl, simple_loss,
                     weighted_eps_loss)
from .options import (DDIM_SPACINGS, DECODERS, PREDICTIONS, SAMPLERS, SCHEDULE_NAMES, VARIANCES, WEIGHTINGS, Decoder,
                      Prediction, Sampler, ScheduleName, Spacing, Variance, Weighting)
from .p import (Model, PMeanVariance, model_predictions, p_mean_variance, predict_eps_from_v, predict_eps_from_x0,
                predict_x0_from_eps, predict_x0_from_v, v_from_x0_eps)
from .posterior import q_posterior_mean_variance
from .q import diffuse, q_mean_variance
from .sampling import (Step, Trajectory, ddim_reverse_step, ddim_steps, ddim_timesteps, ddim_trajectory, ddpm_steps,
                       ddpm_trajectory, sample_ddim, sample_ddpm)
from .schedule_io import load_schedule, parse_betas, schedule_to_json, schedule_to_npz
from .schedules import Schedule
from .timesteps import check_t, extract

__all__ = [
    "Schedule", "SCHEDULE_NAMES", "ScheduleName", "check_t", "extract",
    "q_mean_variance", "diffuse", "q_posterior_mean_variance", "predict_x0_from_eps", "predict_eps_from_x0",
    "v_from_x0_eps", "predict_x0_from_v", "predict_eps_from_v", "p_mean_variance", "PMeanVariance", "Model",
    "weighted_eps_loss", "simple_loss", "PREDICTIONS", "Prediction", "model_predictions", "loss_weight_on_eps",
    "eps_weight", "vlb_term", "vlb_terms", "VLBTerms", "normal_kl", "prior_kl", "gaussian_log_likelihood",
    "discretized_gaussian_log_likelihood", "VARIANCES", "Variance", "DECODERS", "Decoder", "WEIGHTINGS", "Weighting",
    "SAMPLERS", "Sampler", "sample_ddpm", "ddpm_trajectory", "sample_ddim", "ddim_trajectory", "ddpm_steps",
    "ddim_reverse_step", "ddim_steps", "ddim_timesteps", "DDIM_SPACINGS", "Spacing", "Step", "Trajectory",
    "GaussianOptimalEps", "gaussian_nll", "log_snr", "terminal_signal", "TerminalSignal", "PRIOR_NEGLIGIBLE_BITS",
    "summarize_bound", "BoundSummary", "prior_matching", "PriorMatching", "eps_weight_over_simple", "parse_betas",
    "load_schedule", "schedule_to_npz", "schedule_to_json", "q_step_sample", "unscaled_step_sample", "q_chain",
    "moments", "Moments", "chain_moments", "marginal_moments", "moments_gap", "standardize", "posterior_on_grid",
    "GridPosterior", "posterior_check_1d", "PosteriorCheck", "guided_model",
]
