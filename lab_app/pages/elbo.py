"""ELBO inspection: every term of the variational bound (eq. 5) of a shipped model on held-out data."""
import streamlit as st

import reference
from lab_app import cache, figures
from lab_app.progress import with_progress
from lab_app.show_code import show_code
from lab_app.widgets import pick_model

VARIANCES = {"fixed_large": "σ² = β (fixed_large)", "fixed_small": "σ² = β̃ (fixed_small)"}
COLORS = dict(zip(VARIANCES.values(), figures.COLORS))  # one colour per variance, whichever are selected
DEFAULT_N = {"image": 4, "points": 128}  # all T terms: under a second for the MLP, ~1 s per digit for the U-Net
MAX_N = {"image": 64, "points": 2000}  # 64 digits: about a minute of CPU per variance

st.title("ELBO inspection")
st.markdown(
    "The negative bound −log p_θ(x0) ≤ L = L_T + Σ_{t>1} L_{t−1} + L_0 (eq. 5), term by term, on held-out data: "
    "L_0 = −log p_θ(x0 | x1) is the decoder (reconstruction), L_1 … L_{T−1} are KLs between the true posterior "
    "q(x_{t−1} | x_t, x0) and the model's step p_θ(x_{t−1} | x_t) (denoising), and L_T = KL(q(x_T | x0) ‖ N(0, I)) "
    "is the prior term. All in bits per dimension, averaged over the batch."
)

# 1. Read the widgets.
a, b, c, d = st.columns([2, 1, 1, 3])
name = pick_model(a, key="elbo_model")
kind = "image" if cache.is_image_model(name) else "points"
n = b.number_input("held-out examples", value=DEFAULT_N[kind], min_value=1, max_value=MAX_N[kind], step=1,
                   key=f"elbo_n_{name}")
seed = c.number_input("seed (x_t draws)", value=0, min_value=0, step=1, key="elbo_seed")
variances = d.multiselect("reverse variance σ_t²", list(VARIANCES), default=list(VARIANCES),
                          format_func=VARIANCES.get, key="elbo_variances")
if not variances:
    st.info("Pick at least one reverse variance.")
    st.stop()

# 2.-3. The reference validates and computes (cached); a progress bar while it runs.
results = {}
for variance in variances:
    try:
        results[VARIANCES[variance]], _ = with_progress(cache.bound, name, int(n), variance, int(seed),
                                                        label=f"{VARIANCES[variance]}: timesteps")
    except ValueError as e:
        st.error(str(e))
        st.stop()

manifest = cache.checkpoint(name).manifest
columns = st.columns(len(results) + 1)
for column, (label, r) in zip(columns, results.items()):
    se = f" ± {r['total_se']:.3f}" if r["n"] > 1 else ""  # one example has no spread to measure
    column.metric(f"bound (bits/dim), {label}", f"{r['total']:.3f}{se}", help=f"{r['dims']} dims per example")
columns[-1].metric("recorded in the manifest (bits/dim)", f"{manifest['bits_per_dim']:.3f}",
                   help=f"σ² = β on {manifest.get('bits_per_dim_data', 'held-out data')}, at training time")
n_used = next(iter(results.values()))["n"]
spread = f" ± its standard error (their standard deviation / √{n_used})" if n_used > 1 else ""
st.caption(f"Each bound is the mean over {n_used} held-out example{'s' if n_used > 1 else ''}{spread}. Computed in "
           + ", ".join(f"{r['seconds']:.2f} s ({label})" for label, r in results.items())
           + f" on {reference.device_name()}; {manifest['data']} model, T = {manifest['T']}, "
           f"{manifest['schedule']['name']} schedule. A repeated setting comes from the cache.")

# 4. Figures.
T = manifest["T"]
k = {label: list(range(T + 1)) for label in results}
left, right = st.columns(2)
with left:
    st.plotly_chart(figures.lines({label: r["per_term"] for label, r in results.items()}, "Every term L_k (eq. 5)",
                                  "bits/dim", x=k, x_title="k in L_k (0: decoder L_0; T: prior L_T)", log_y=True,
                                  dashed=(VARIANCES["fixed_small"],), colors=COLORS),
                    key="fig_terms")
    st.caption("A log axis: L_0, a density for continuous data, can be negative and then shows only in the bars.")
    show_code(reference.vlb_terms, reference.summarize_bound)
with right:
    st.plotly_chart(figures.lines({label: r["cumulative"] for label, r in results.items()}, "Running sum L_0 + … + L_k",
                                  "bits/dim", x=k, x_title="k; the curve ends at the total",
                                  dashed=(VARIANCES["fixed_small"],), colors=COLORS),
                    key="fig_cumulative")
    show_code(reference.summarize_bound)
with left:
    parts = {label: {"L_0 reconstruction": r["reconstruction"], "Σ L_1…L_{T−1} denoising": r["denoising"],
                     "L_T prior": r["prior"], "total": r["total"]} for label, r in results.items()}
    st.plotly_chart(figures.bound_bars(parts, colors=COLORS), key="fig_parts")
    st.markdown("| σ_t² | " + " | ".join(next(iter(parts.values()))) + " |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {label} | " + " | ".join(f"{v:.4g}" for v in values.values()) + " |" for label, values in parts.items()))
    show_code(reference.summarize_bound)
with right:
    weights = {VARIANCES[v]: cache.weight_over_simple(name, v) for v in variances}
    st.plotly_chart(figures.lines(weights, "What L_simple drops: D × the eq. 12 weight", "weight relative to L_simple",
                                  x={label: list(range(2, T + 1)) for label in weights}, log_y=True,
                                  hline=(1.0, "L_simple"), dashed=(VARIANCES["fixed_small"],), colors=COLORS),
                    key="fig_weight")
    st.caption("L_t = weight_t · E‖ε − ε_θ‖² (eq. 12); L_simple (eq. 14) uses 1/D at every t. Above 1, the bound "
               "counts a step more than L_simple does.")
    show_code(reference.eps_weight, reference.eps_weight_over_simple)
