"""Conditioning and guidance (Ho & Salimans 2022): one network told which digit (or which moon) to draw, and the
guidance scale w trading the samples' diversity for class accuracy, measured."""
import streamlit as st

import reference
from lab_app.figures import conditioning as figures_conditioning
from lab_app.ui.show_code import show_code
from lab_app.views import conditioning as conditioning_view
from lab_app.views.conditioning import DEFAULTS, MOON_CHOICES
from reference import checkpoints, evaluate

GRID_N = 16
MOONS_N = 300

st.title("Conditioning and guidance")
st.markdown("A conditional denoiser $\\epsilon_\\theta(x_t, t, y)$ is told the class $y$: a learned vector per class "
            "is added to its time embedding. Trained with the label replaced by a **null label** $\\varnothing$ "
            "at a rate $p_\\text{uncond}$, the same network is also the unconditional model "
            "$\\epsilon_\\theta(x_t, t) = \\epsilon_\\theta(x_t, t, \\varnothing)$. **Classifier-free guidance** "
            "(Ho & Salimans 2022, eq. 6) samples with")
st.latex(r"\tilde\epsilon_\theta(x_t, t, y) = (1 + w)\,\epsilon_\theta(x_t, t, y) - w\,\epsilon_\theta(x_t, t, "
         r"\varnothing)")
st.markdown("$w = 0$ is the conditional model; $w > 0$ pushes each step away from what an unlabelled digit looks "
            "like, towards what makes it *this* digit. Samples become more recognisable and more alike: accuracy "
            "rises, diversity falls. Both predictions come from one batched pass of $2B$ rows.")

if not {conditioning_view.DIGITS, conditioning_view.MOONS} <= set(checkpoints.available_checkpoints()):
    st.error("The conditional checkpoints digits_cond and moons_cond are not shipped; train them with "
             "python -m reference.training.ddpm --num-classes … (README).")
    st.stop()

# 1. Read the widgets.
st.subheader("Guided digits")
left, right = st.columns([1, 3], gap="large")
with left:
    digit = st.selectbox("digit y", list(range(10)), index=DEFAULTS.digit, key="cond_digit")
    w = st.slider("guidance scale w", 0.0, 8.0, DEFAULTS.w, 0.5, key="cond_w")
    seed = int(st.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="cond_seed"))

# 2. The reference validates the values. 3. Cached arrays.
try:
    out = conditioning_view.guided_digits(digit, w, GRID_N, seed)
except ValueError as e:
    st.error(str(e))
    st.stop()
sweep = conditioning_view.guidance_manifest(conditioning_view.DIGITS)

# 4. Figures.
with left:
    st.metric(f"classifier says {digit}", f"{out['accuracy']:.0%}", help="of the 16 samples, by the digits "
              "classifier every digits manifest uses (logistic regression on the training digits)")
    st.metric("diversity", f"{out['diversity']:.2f}", help="mean pairwise distance between the 16 samples")
    st.caption(f"DDIM, {conditioning_view.DDIM_STEPS} steps, {GRID_N} samples in {out['seconds']:.2f} s "
               f"(when first computed) on {reference.device_name()}.")
with right:
    st.plotly_chart(figures_conditioning.guided_digits(out["x0"], out["label"], digit,
                                                       f"digit {digit}, w = {w:g}: the classifier's label on each"),
                    key="fig_cond_digits")
    show_code(reference.guided_model)

st.subheader("Accuracy against diversity, as w grows")
st.markdown(f"Measured by the training command on {sweep['per_class']} samples per digit for each $w$ "
            f"({sweep['sampler']}), the same starting noise for every $w$; the model was trained "
            f"{sweep['steps']} steps with labels dropped at $p_\\text{{uncond}} = {sweep['label_drop']:g}$.")
measure = st.radio("measure class fidelity by", list(figures_conditioning.MEASURES), horizontal=True,
                   format_func=figures_conditioning.MEASURES.get, key="cond_measure",
                   help="accuracy saturates once nearly every sample is recognised; p(y | sample) keeps rising")
student = {"w": w, "accuracy": out["accuracy"], "mean_confidence": out["mean_confidence"],
           "diversity": out["diversity"]}
st.plotly_chart(figures_conditioning.tradeoff(sweep["curve"], digit, sweep["data"], student, measure),
                key="fig_cond_tradeoff")
per_class = sweep["bits_per_dim_per_class"]
st.markdown(f"The bound with the true label ($w = 0$) on the first 100 test digits: "
            f"**{sweep['bits_per_dim_given_class']:.3f} bits/dim**, against {sweep['bits_per_dim']:.3f} "
            f"without it ($y = \\varnothing$); for digit {digit}: "
            + (f"{per_class[digit]:.3f}." if per_class[digit] is not None else "no test digit among the 100."))
st.caption("By Bayes' rule −log p(x | y) = −log p(x) − log p(y | x) − log 10: for a recognisable digit, p(y | x) ≈ 1, "
           "the label saves at most log₂ 10 / 64 ≈ 0.05 bits/dim (the two bounds' slack differs too). Guidance (w > 0) "
           "has no bound of its own: it samples roughly p(x | y)·p(y | x)^w, sharpened towards the class.")
show_code(evaluate.guidance_sweep, evaluate.class_fidelity)

st.subheader("The 2-D view: which moon")
a, b = st.columns([1, 3], gap="large")
with a:
    choice = st.radio("draw from", list(MOON_CHOICES), index=list(MOON_CHOICES).index(DEFAULTS.moons),
                      key="cond_moon")
    w_moon = st.slider("guidance scale w", 0.0, 8.0, DEFAULTS.w_moons, 0.5, key="cond_moon_w")
try:
    moons = conditioning_view.guided_moons(MOON_CHOICES[choice], w_moon, MOONS_N, seed)
except ValueError as e:
    st.error(str(e))
    st.stop()
data = conditioning_view.labelled_moons()
with a:
    st.metric("on the asked moon", f"{moons['accuracy']:.1%}",
              help="the share of samples whose 15 nearest held-out points mostly lie on the moon asked for")
with b:
    st.plotly_chart(figures_conditioning.guided_moons(data["x0"], data["y"], moons["x0"], moons["y"],
                                                      f"{choice}, w = {w_moon:g}: {MOONS_N} samples per moon"),
                    key="fig_cond_moons")
st.caption("With w = 0 each moon's samples already stay on their moon; a large w pushes them towards the moon's "
           "most typical points, away from the other moon, and they bunch up.")
