"""Sampling: Algorithm 2 (DDPM) and DDIM from a shipped model, with x_t and the model's x̂0 along the way."""
import streamlit as st

import reference
from lab_app import cache, figures
from lab_app.progress import with_progress
from lab_app.show_code import show_code
from lab_app.widgets import pick_model

DEFAULT_N = {"image": 16, "points": 2000}
PREVIEW_N = {"image": 16, "points": 500}  # shown in the live x̂0 preview: few enough to redraw while sampling runs
MAX_N = {"image": 256, "points": 5000}  # DDPM keeps every step: 256 digits × 1000 steps ≈ 130 MB and minutes of CPU
DEFAULT_SAMPLER = {"image": "DDIM", "points": "DDPM"}  # a U-Net over all T steps takes tens of seconds on a CPU
VARIANCES = {"fixed_large": "σ² = β", "fixed_small": "σ² = β̃"}


def draw(x, title: str, data=None):
    """A 2-D scatter (over the held-out data when given) or a digit grid, from (n, *S) arrays."""
    if x.ndim == 2:
        points = {"samples": x, "held-out data": data} if data is not None else {"x": x}
        return figures.scatter_2d(points, title, lim=4.0, height=420, reference="held-out data")
    return figures.digit_grid(x[:, 0], title, ncols=4)


st.title("Sampling")
st.markdown(
    "Start from x_T ~ N(0, I) and run the reverse process. DDPM (Algorithm 2) takes all T steps, "
    "x_{t−1} = μ_θ(x_t, t) + σ_t·z; DDIM (Song et al. 2021) takes a sub-sequence of steps and is deterministic at "
    "η = 0. At each step the model's ε_θ also gives x̂0 = (x_t − √(1 − ᾱ_t)·ε_θ)/√ᾱ_t (eq. 15), its current guess "
    "of the final sample. Timesteps are the paper's t = 1 … T (the code's index is t − 1)."
)

# 1. Read the widgets.
a, b, c, d = st.columns([2, 2, 1, 1])
name = pick_model(a, key="sampling_model")
T = cache.checkpoint(name).schedule.T
kind = "image" if cache.is_image_model(name) else "points"
sampler = b.radio("Sampler", ["DDPM", "DDIM"], index=["DDPM", "DDIM"].index(DEFAULT_SAMPLER[kind]), horizontal=True,
                  key=f"sampling_sampler_{kind}")
n = c.number_input("samples", value=DEFAULT_N[kind], min_value=1, max_value=MAX_N[kind], step=1, key=f"sampling_n_{name}")
seed = d.number_input("seed", value=0, min_value=0, step=1, key="sampling_seed")
ddim_steps, eta, variance = 50, 0.0, "fixed_large"
if sampler == "DDIM":
    a, b = st.columns(2)
    ddim_steps = a.number_input("DDIM steps", value=50, step=1, key="sampling_ddim_steps")
    eta = b.slider("η (0: deterministic; 1 with all steps: DDPM with σ² = β̃)", 0.0, 1.0, 0.0, 0.1, key="sampling_eta")
else:
    variance = st.radio("σ_t²", list(VARIANCES), format_func=VARIANCES.get, horizontal=True, key="sampling_variance")

# 2. Let the reference validate.
try:
    steps = reference.ddim_timesteps(T, int(ddim_steps)) if sampler == "DDIM" else list(range(T))
except ValueError as e:
    st.error(str(e))
    st.stop()

# 3. Sample (cached), with a progress bar and the model's current x̂0 drawn live.
try:
    out, computed = with_progress(cache.samples, name, sampler, int(n), int(seed), int(ddim_steps), float(eta),
                                  variance, label=f"{sampler} steps",
                                  preview=lambda x0_pred: draw(x0_pred[:PREVIEW_N[kind]].cpu().numpy(),
                                                                 "the model's x̂0, now"))
except ValueError as e:
    st.error(str(e))
    st.stop()
st.caption(f"{sampler}, {len(steps)} steps, {int(n)} samples: {out['seconds']:.2f} s on {out['device']}"
           + ("" if computed else " (when first computed; this result came from the cache)") + ".")

# 4. Figures.
timesteps = out["timesteps"]
i = st.select_slider("Trajectory: the step at the paper's t (x̂0 is the model's guess of x0 at that step)",
                     options=list(range(len(timesteps))), value=len(timesteps) // 2,
                     format_func=lambda j: f"t = {timesteps[j] + 1}", key=f"sampling_frame_{len(timesteps)}")
t_paper = timesteps[i] + 1
data = cache.held_out(name, int(n)) if kind == "points" else None
left, middle, right = st.columns(3)
with left:
    st.plotly_chart(draw(out["x0"], f"Samples x0 ({name})", data), key="fig_samples")
    show_code(reference.sample_ddpm if sampler == "DDPM" else reference.sample_ddim,
              reference.ddpm_steps if sampler == "DDPM" else reference.ddim_steps)
with middle:
    st.plotly_chart(draw(out["x_t"][i], f"x_t at t = {t_paper}"), key="fig_x_t")
with right:
    st.plotly_chart(draw(out["x0_pred"][i], f"the model's x̂0 at t = {t_paper}"), key="fig_x0_pred")
    show_code(reference.predict_x0_from_eps, reference.p_mean_variance)
