"""x0 vs ε vs v: three things a denoiser can output, the same p_θ from each, and what each simple loss weighs."""
import streamlit as st

import reference
from lab_app.figures import common
from lab_app.server import models
from lab_app.ui.show_code import show_code
from lab_app.views import predictions as predictions_view, shared
from lab_app.views.predictions import DEFAULTS

LABELS = {"eps": "ε (Ho et al.)", "x0": "x₀", "v": "v (Salimans & Ho)"}
DATA = {"moons": "2-D moons", "digits": "8×8 digits"}
SAMPLERS = {"moons": ("ddpm", 1000), "digits": ("ddim", 50)}  # the U-Net's 1000 steps take a minute on a CPU
BOUND_N = {"moons": 256, "digits": 16}

st.title("Predicting x₀, ε or v")
st.markdown("A denoiser sees $x_t$ and $t$ and may output any of three things, each fixing the other two through "
            "eq. 4:")
st.latex(r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad "
         r"v = \sqrt{\bar\alpha_t}\,\varepsilon - \sqrt{1-\bar\alpha_t}\,x_0")
st.latex(r"\hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}} \;\text{(eq. 15)},\qquad "
         r"\hat x_0 = \sqrt{\bar\alpha_t}\,x_t - \sqrt{1-\bar\alpha_t}\,\hat v,\qquad "
         r"\hat\varepsilon = \sqrt{1-\bar\alpha_t}\,x_t + \sqrt{\bar\alpha_t}\,\hat v")
st.markdown(r"So one $p_\theta(x_{t-1}\mid x_t) = \mathcal N(\tilde\mu_t(x_t, \hat x_0), \sigma_t^2 I)$ serves all three, "
            r"and the bound (eq. 5) is the same function of $\hat x_0$. What differs is training: each model regresses "
            r"its own target, $\mathbb E\|y - \hat y\|^2$ with $y = \varepsilon$, $x_0$ or $v$, and in terms of the "
            r"$\varepsilon$ error these losses weigh step $t$ by")
st.latex(r"\|x_0 - \hat x_0\|^2 = \frac{1}{\mathrm{SNR}_t}\,\|\varepsilon - \hat\varepsilon\|^2,\qquad "
         r"\|v - \hat v\|^2 = \Big(1 + \frac{1}{\mathrm{SNR}_t}\Big)\|\varepsilon - \hat\varepsilon\|^2,\qquad "
         r"\mathrm{SNR}_t = \frac{\bar\alpha_t}{1-\bar\alpha_t}.")

data_name = st.radio("Data", list(DATA), index=list(DATA).index(DEFAULTS.data), format_func=DATA.get, horizontal=True,
                     key="predictions_data")
family = predictions_view.prediction_family(data_name)
if "eps" not in family:
    st.error(f"No shipped ε-model of {DATA[data_name]} in reference/weights/.")
    st.stop()

st.subheader("What each loss weighs, against the bound")
weights = predictions_view.prediction_weights(family["eps"], "fixed_large")
T = len(weights["eps"]) + 1
st.plotly_chart(common.lines({LABELS[p]: w for p, w in weights.items()},
                              "The bound's weight on step t over each loss's (σ² = β)", "bound / loss",
                              x={LABELS[p]: list(range(2, T + 1)) for p in weights}, log_y=True,
                              hline=(1.0, "as the bound")), key="fig_prediction_weights")
st.caption(r"$D\,\beta_t^2/(2\sigma_t^2\alpha_t(1-\bar\alpha_t))$ (eq. 12) over each loss's weight on the "
           r"$\varepsilon$ error, for this data's schedule: above 1 the bound counts step $t$ more than that loss does, "
           r"below 1 less. The $x_0$-loss weighs step $t$ by $1/\mathrm{SNR}_t$: almost nothing near the data, where "
           r"the SNR is large, and most where $x_t$ is nearly noise. The $v$-loss weighs it by $1 + 1/\mathrm{SNR}_t$: "
           r"the $\varepsilon$-loss near the data, the $x_0$-loss near the noise.")
show_code(reference.simple_loss, reference.loss_weight_on_eps, label="Show the code: the losses and their weights")

st.subheader("Trained with each target: the bound and samples, measured")
left, right = st.columns(2)
n = int(left.number_input("samples per model", value=DEFAULTS.n[data_name], min_value=8,
                          max_value=4 * DEFAULTS.n[data_name], step=8, key=f"predictions_n_{data_name}"))
seed = int(right.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="predictions_seed"))
sampler, steps = SAMPLERS[data_name]
columns = st.columns(len(family))
for (prediction, name), column in zip(family.items(), columns):
    with column, st.spinner(f"{name}: the bound and {n} samples"):
        b = shared.bound(name, BOUND_N[data_name], "fixed_large", seed)
        q = predictions_view.sample_quality(name, n, seed, sampler, steps)
        st.markdown(f"**{LABELS[prediction]}** — `{name}`")
        st.metric("bound (bits/dim, σ² = β)", f"{b['total']:.3f} ± {b['total_se']:.3f}",
                  help=f"over {b['n']} held-out examples")
        if data_name == "digits":
            st.metric("classifier confidence", f"{q['mean_confidence']:.3f} ± {q['confidence_se']:.3f}")
            st.plotly_chart(common.digit_grid(q["x0"][:32, 0], f"{sampler.upper()} {steps} steps", height=260),
                            key=f"fig_samples_{prediction}")
        else:
            st.metric("sliced Wasserstein to held-out data", f"{q['sliced_wasserstein']:.3f}",
                      help=f"on the data's support: {q['support_precision']:.0%}")
            st.plotly_chart(common.scatter_2d({"held-out data": shared.held_out(name, n), "samples": q["x0"]},
                                               f"{sampler.upper()}, {steps} steps", lim=2.5, height=300,
                                               reference="held-out data"), key=f"fig_samples_{prediction}")
        st.caption(f"{q['seconds']:.2f} s for {n} samples; "
                   f"trained by `{models.checkpoint(name).manifest.get('command', '?')}`")
st.caption(f"Each model has the same architecture, schedule, steps and seed as the ε-model; only the target differs "
           f"(`--prediction`). The bound is over {BOUND_N[data_name]} held-out examples (± one standard error); "
           f"samples and bound use the same seed for every model.")
show_code(reference.model_predictions, reference.p_mean_variance, label="Show the code: one p_θ for every target")
