"""Sampling: Algorithm 2 (DDPM) and DDIM from a shipped model, with x_t and the model's x̂0 along the way."""
import streamlit as st

import reference
from lab_app.figures import common
from lab_app.server import models
from lab_app.server.compute import SampleRequest
from lab_app.ui.fragments import fragment
from lab_app.ui.progress import follow
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import pick_model
from lab_app.views import shared
from lab_app.views.sampling import DEFAULTS
from reference.diffusion.options import SAMPLERS

PREVIEW_N = {"image": 16, "points": 500}  # shown in the live x̂0 preview: few enough to redraw while sampling runs
MAX_N = {"image": 256, "points": 5000}  # DDPM keeps every step: 256 digits × 1000 steps ≈ 130 MB and minutes of CPU
VARIANCES = {"fixed_large": "σ² = β", "fixed_small": "σ² = β̃"}


def draw(x, title: str, data=None):
    """A 2-D scatter (over the held-out data when given) or a digit grid, from (n, *S) arrays."""
    if x.ndim == 2:
        points = {"samples": x, "held-out data": data} if data is not None else {"x": x}
        return common.scatter_2d(points, title, lim=4.0, height=420, reference="held-out data")
    return common.digit_grid(x[:, 0], title, ncols=4)


def listed(ts: list[int], ends: int = 3) -> str:
    """'1000, 980, 960, …, 40, 20': a long list of timesteps shortened to its ends."""
    shown = ts if len(ts) <= 2 * ends + 1 else [*ts[:ends], "…", *ts[-ends:]]
    return ", ".join(map(str, shown))


@fragment
def trajectory(out: dict, request: SampleRequest) -> None:
    """x_t and the model's x̂0 at one step: a fragment, so that moving the slider redraws these two figures only, each
    built once per process (shared.figure) from the kept trajectory."""
    timesteps = out["timesteps"]
    i = st.select_slider("Trajectory: the step at the paper's t (x̂0 is the model's guess of x0 at that step)",
                         options=list(range(len(timesteps))), value=len(timesteps) // 2,
                         format_func=lambda j: f"t = {timesteps[j] + 1}", key=f"sampling_frame_{len(timesteps)}")
    t_paper = timesteps[i] + 1
    middle, right = st.columns(2)
    middle.plotly_chart(shared.figure(("x_t", request.key, i), lambda: draw(out["x_t"][i], f"x_t at t = {t_paper}")),
                        key="fig_x_t")
    right.plotly_chart(shared.figure(("x0_pred", request.key, i),
                                    lambda: draw(out["x0_pred"][i], f"the model's x̂0 at t = {t_paper}")),
                       key="fig_x0_pred")


st.title("Sampling")
st.markdown(r"Start from $x_T \sim \mathcal N(0, I)$ and run the reverse process. DDPM (Algorithm 2) takes all $T$ "
            r"steps; DDIM (Song et al. 2021, eq. 12) takes a sub-sequence of them and is deterministic at $\eta = 0$:")
st.latex(r"x_{t-1} = \mu_\theta(x_t, t) + \sigma_t z \quad\text{(DDPM)},\qquad "
         r"x_\text{prev} = \sqrt{\bar\alpha_\text{prev}}\,\hat x_0 + \sqrt{1-\bar\alpha_\text{prev}-\sigma^2}\,"
         r"\varepsilon_\theta + \sigma z \quad\text{(DDIM)}.")
st.markdown(r"At each step the model's $\varepsilon_\theta$ also gives "
            r"$\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}$ (eq. 15), its current "
            r"guess of the final sample. Timesteps are the paper's $t = 1, \dots, T$ (the code's index is $t - 1$).")

# 1. Read the widgets.
a, b, c, d = st.columns([2, 2, 1, 1])
name = pick_model(a, key="sampling_model")
T = models.checkpoint(name).schedule.T
kind = "image" if shared.is_image_model(name) else "points"
sampler = b.radio("Sampler", SAMPLERS, index=SAMPLERS.index(DEFAULTS.sampler[kind]), format_func=str.upper,
                  horizontal=True, key=f"sampling_sampler_{kind}")
n = c.number_input("samples", value=DEFAULTS.n[kind], min_value=1, max_value=MAX_N[kind], step=1,
                   key=f"sampling_n_{name}")
seed = d.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="sampling_seed")
ddim_steps, spacing, eta, variance = DEFAULTS.ddim_steps, DEFAULTS.spacing, DEFAULTS.eta, DEFAULTS.variance
if sampler == "ddim":
    a, b, c = st.columns(3)
    ddim_steps = a.number_input(f"DDIM steps (1 … {T})", value=DEFAULTS.ddim_steps, min_value=1, max_value=T,
                                step=1, key="sampling_ddim_steps")
    spacing = b.radio("Spacing", reference.DDIM_SPACINGS, index=reference.DDIM_SPACINGS.index(DEFAULTS.spacing),
                      horizontal=True, key="sampling_spacing")
    eta = c.slider(r"$\eta$ (0: deterministic; 1 with all steps: DDPM with $\sigma^2 = \tilde\beta$)", 0.0, 1.0,
                   DEFAULTS.eta, 0.1, key="sampling_eta")
else:
    variance = st.radio(r"$\sigma_t^2$", list(VARIANCES), index=list(VARIANCES).index(DEFAULTS.variance),
                        format_func=VARIANCES.get, horizontal=True, key="sampling_variance")

# 2. Let the reference validate.
try:
    steps = reference.ddim_timesteps(T, int(ddim_steps), spacing) if sampler == "ddim" else list(range(T))
except ValueError as e:
    st.error(str(e))
    st.stop()
if sampler == "ddim":
    alpha_bar_T = float(models.checkpoint(name).schedule.alpha_bar[-1])
    clip = models.checkpoint(name).sampling.ddim_clip_x0
    st.caption(f"Spacing (Lin et al. 2024): trailing starts at $t = T$, where $x_T$ is pure noise; leading starts "
               f"below $T$ ($k = \\lfloor T/\\text{{steps}}\\rfloor$ apart, from $t = 1$); linspace spreads from $T$ "
               f"to 1. This run denoises at t = {listed([t + 1 for t in reversed(steps)])}. $\\hat x_0$ is clipped to "
               f"$\\pm{clip:g}$: at $t = T$, $\\bar\\alpha_T = {alpha_bar_T:.1e}$, so $\\hat x_0 = (x_T - "
               f"\\sqrt{{1-\\bar\\alpha_T}}\\,\\varepsilon_\\theta)/\\sqrt{{\\bar\\alpha_T}}$ (eq. 15) would magnify "
               f"the model's error in $\\varepsilon$ {alpha_bar_T ** -0.5:,.0f}-fold.")

# 3. Sample through the lab's compute service (queued with other students' requests, batched with those of the same
# model and sampler, kept once done), with the place in the queue, a progress bar and the model's current x̂0.
try:
    request = SampleRequest(name, sampler, int(n), int(seed), int(ddim_steps), spacing, float(eta), variance)
    out, computed = follow(shared.compute_service().submit(request), label=f"{sampler.upper()} steps",
                           preview=lambda x0_pred: draw(x0_pred[:PREVIEW_N[kind]],
                                                        "the model's x̂0, now"))
except ValueError as e:
    st.error(str(e))
    st.stop()
others = out["batch"] - 1  # other students' requests sampled in the same run
with_others = f", in one run with {others} other request{'s' if others > 1 else ''}" if others else ""
st.caption(f"{sampler.upper()}, {len(steps)} step{'' if len(steps) == 1 else 's'}, {int(n)} samples: {out['seconds']:.2f} s on "
           f"{out['device']}{with_others}"
           + ("" if computed else " (when first computed; this result came from the cache)") + ".")

# 4. Figures: the samples, and beside them the trajectory, a fragment redrawn alone when its slider moves.
left, right = st.columns([1, 2], vertical_alignment="bottom")
data = shared.held_out(name, int(n)) if kind == "points" else None
left.plotly_chart(shared.figure(("samples", request.key), lambda: draw(out["x0"], f"Samples x0 ({name})", data)),
                  key="fig_samples")
with right:
    trajectory(out, request)
if sampler == "ddpm":
    show_code(reference.sample_ddpm, reference.ddpm_steps, label="Show the code: the sampler")
else:
    show_code(reference.sample_ddim, reference.ddim_timesteps, reference.ddim_steps, label="Show the code: the sampler")
show_code(reference.predict_x0_from_eps, reference.p_mean_variance, label="Show the code: x̂0 along the trajectory")
