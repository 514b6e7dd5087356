"""Which reference code answers each graded task, and the mathematics the lab shows in its place in course mode.

The graders (graders/engine/tasks/<assignment>.py) compute each task's expected answer with `reference/`; the lab shows
that same code in its "Show the code" panels. The lab cannot import the task specs (they bring the grading engine,
its diagnoses and the sandbox's wire format), so the answers are listed here, and tests/test_app_course_mode.py
keeps the list in step with the specs: the same assignments and tasks, and every reference function that a task's
expected answer runs and a page shows is listed under that task.

`code` holds, per task, the functions whose source gives the answer away: the reference's own version of the
function the student writes, the code it runs for the answer's arithmetic (`Schedule.from_betas` computes the
posterior's coefficients from β, `model_predictions` and `predict_x0_from_eps` give x̂0), and helpers whose body
is the answer although the grader does not call them (`sample_latent_ddpm` is DDIM, un-standardising and decoding).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import reference
from reference.families.latent import LatentStats, sample_latent_ddpm


@dataclass(frozen=True)
class Answer:
    """A graded task as the lab sees it: the formula it implements (LaTeX, with where it comes from) and the
    reference code that computes it."""

    equation: str
    code: tuple[Callable, ...]


X0_PRED = (reference.model_predictions, reference.predict_x0_from_eps)  # x̂0 from ε_θ (eq. 15)
DDIM = (reference.sample_ddim, reference.ddim_steps, reference.ddim_reverse_step, reference.ddim_timesteps,
        *X0_PRED)

EQ4 = r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon \qquad \text{(Ho et al. 2020, eq. 4)}"
EQ7 = (r"\tilde\mu_t(x_t, x_0) = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t}\,x_0"
       r" + \frac{\sqrt{\alpha_t}\,(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}\,x_t, \quad"
       r" \bar\alpha_t = \prod_{s \le t} (1 - \beta_s) \qquad \text{(eq. 7)}")
EQ14 = (r"L_\text{simple} = \mathbb{E}_{t, x_0, \epsilon}\big\|\epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0"
        r" + \sqrt{1 - \bar\alpha_t}\,\epsilon,\ t\big)\big\|^2 \qquad \text{(eq. 14, Algorithm 1)}")
ALG2 = (r"x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\,"
        r"\epsilon_\theta(x_t, t)\Big) + \sigma_t z, \quad t = T, \dots, 1, \quad z = 0 \text{ at } t = 1"
        r" \qquad \text{(eq. 11, Algorithm 2)}")
EQ5 = (r"L_{t-1} = D_\text{KL}\big(q(x_{t-1} \mid x_t, x_0) \,\Vert\, p_\theta(x_{t-1} \mid x_t)\big)"
       r" = \sum \tfrac12\Big(\log\frac{\sigma_t^2}{\tilde\beta_t} + \frac{\tilde\beta_t}{\sigma_t^2}"
       r" + \frac{(\tilde\mu_t - \mu_\theta)^2}{\sigma_t^2} - 1\Big), \quad"
       r" \tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\,\beta_t \qquad \text{(eqs. 5, 7, 11)}")
SONG12 = (r"x_{\text{prev}} = \sqrt{\bar\alpha_\text{prev}}\,\hat x_0"
          r" + \sqrt{1 - \bar\alpha_\text{prev} - \sigma^2}\,\epsilon_\theta(x_t, t) + \sigma z, \quad"
          r" \hat x_0 = \frac{x_t - \sqrt{1 - \bar\alpha_t}\,\epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}}, \quad"
          r" \sigma = \eta\sqrt{\frac{1 - \bar\alpha_\text{prev}}{1 - \bar\alpha_t}}"
          r"\sqrt{1 - \frac{\bar\alpha_t}{\bar\alpha_\text{prev}}} \qquad \text{(Song et al. 2021, eq. 12)}")
TRAILING = (r"\tau_j = \operatorname{round}(j\,T / S) - 1, \quad j = S, \dots, 1: \quad"
            r" x_{\tau_S} \to x_{\tau_{S-1}} \to \dots \to x_{\tau_1} \to x_0 \text{ by eq. 12}"
            r" \qquad \text{(Lin et al. 2024, Table 2)}")
LATENT = (r"\hat z_0 = \text{DDIM}_{\eta = 0}(z_T), \quad z_0 = s \odot \hat z_0 + m, \quad x = D(z_0)"
          r" \qquad \text{(Rombach et al. 2022)}")

ANSWERS: dict[str, dict[str, Answer]] = {
    "ddpm_core": {
        "q_sample": Answer(EQ4, (reference.diffuse,)),
        "posterior_mean": Answer(EQ7, (reference.q_posterior_mean_variance, reference.Schedule.from_betas)),
        "eps_loss": Answer(EQ14, (reference.weighted_eps_loss, reference.simple_loss)),
        "sample_loop": Answer(ALG2, (reference.sample_ddpm, reference.ddpm_steps, reference.p_mean_variance,
                                     reference.Schedule.from_betas, *X0_PRED)),
    },
    "ddpm_beyond": {
        "kl_term": Answer(EQ5, (reference.vlb_term, reference.normal_kl, reference.q_posterior_mean_variance,
                                reference.p_mean_variance, reference.Schedule.from_betas, *X0_PRED)),
        "ddim_step": Answer(SONG12, (reference.ddim_reverse_step, *X0_PRED)),
        "ddim_sample": Answer(TRAILING, DDIM),
        "sample_latent": Answer(LATENT, (sample_latent_ddpm, LatentStats.unstandardize, *DDIM)),
    },
}
