"""ELBO inspection: every term of the variational bound (eq. 5) of a shipped model on held-out data."""
import streamlit as st

import reference
from lab_app.figures import common, elbo as elbo_figures, style
from lab_app.server import models
from lab_app.server.compute import BoundRequest
from lab_app.ui.progress import follow
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import pick_model
from lab_app.views import elbo as elbo_view, shared
from lab_app.views.elbo import DEFAULTS

VARIANCES = {"fixed_large": "σ² = β (fixed_large)", "fixed_small": "σ² = β̃ (fixed_small)"}  # plain: plot legends
PARTS = ("L<sub>0</sub> reconstruction", "Σ L<sub>t−1</sub> denoising", "L<sub>T</sub> prior", "total")  # plotly's HTML
PARTS_LATEX = (r"$L_0$ reconstruction", r"$\sum_{t=2}^{T} L_{t-1}$ denoising", r"$L_T$ prior", "total")
COLORS = dict(zip(VARIANCES.values(), style.COLORS))  # one colour per variance, whichever are selected
MAX_N = {"image": 64, "points": 2000}  # 64 digits: about a minute of CPU per variance

st.title("ELBO inspection")
st.markdown("The negative bound, term by term, on held-out data (eq. 5):")
st.latex(r"-\log p_\theta(x_0) \le L = \underbrace{D_\mathrm{KL}\big(q(x_T\mid x_0)\,\|\,\mathcal N(0, I)\big)}_{L_T}"
         r" + \sum_{t>1} \underbrace{D_\mathrm{KL}\big(q(x_{t-1}\mid x_t, x_0)\,\|\,p_\theta(x_{t-1}\mid x_t)\big)}"
         r"_{L_{t-1}} \underbrace{-\,\log p_\theta(x_0\mid x_1)}_{L_0}")
st.markdown(r"$L_0$ is the decoder (reconstruction), $L_1, \dots, L_{T-1}$ compare the true posterior with the model's "
            r"step (denoising), and $L_T$ is the prior term. All in bits per dimension, averaged over the batch.")

# 1. Read the widgets.
a, b, c, d = st.columns([2, 1, 1, 3])
name = pick_model(a, key="elbo_model")
kind = "image" if shared.is_image_model(name) else "points"
n = b.number_input("held-out examples", value=DEFAULTS.n[kind], min_value=1, max_value=MAX_N[kind], step=1,
                   key=f"elbo_n_{name}")
seed = c.number_input("seed (x_t draws)", value=DEFAULTS.seed, min_value=0, step=1, key="elbo_seed")
variances = d.multiselect(r"reverse variance $\sigma_t^2$", list(VARIANCES), default=list(DEFAULTS.variances),
                          format_func=VARIANCES.get, key="elbo_variances")
if not variances:
    st.info("Pick at least one reverse variance.")
    st.stop()

# 2.-3. The reference validates and computes, through the lab's compute service (queued with other students'
# requests, kept once done); the place in the queue and a progress bar while it waits and runs.
results = {}
try:
    service = shared.compute_service()
    tickets = {VARIANCES[v]: service.submit(BoundRequest(name, int(n), v, int(seed))) for v in variances}
    for label, ticket in tickets.items():
        results[label], _ = follow(ticket, label=f"{label}: timesteps")
except ValueError as e:
    st.error(str(e))
    st.stop()

manifest = models.checkpoint(name).manifest
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

# 4. Figures, each built once per process for this setting (shared.figure).
T = manifest["T"]
setting = (name, int(n), int(seed), tuple(variances))
k = {label: list(range(T + 1)) for label in results}
left, right = st.columns(2)
with left:
    st.plotly_chart(shared.figure(("elbo_terms", *setting), lambda: common.lines(
        {label: r["per_term"] for label, r in results.items()}, "Every term L_k (eq. 5)", "bits/dim", x=k,
        x_title="k in L_k (0: decoder L_0; T: prior L_T)", log_y=True, dashed=(VARIANCES["fixed_small"],),
        colors=COLORS)), key="fig_terms")
    st.caption("A log axis: $L_0$, a density for continuous data, can be negative and then shows only in the bars.")
    show_code(reference.vlb_terms, reference.summarize_bound)
with right:
    st.plotly_chart(shared.figure(("elbo_cumulative", *setting), lambda: common.lines(
        {label: r["cumulative"] for label, r in results.items()}, "Running sum L_0 + … + L_k", "bits/dim", x=k,
        x_title="k; the curve ends at the total", dashed=(VARIANCES["fixed_small"],), colors=COLORS)),
        key="fig_cumulative")
    show_code(reference.summarize_bound)
with left:
    parts = {label: {PARTS[0]: r["reconstruction"], PARTS[1]: r["denoising"], PARTS[2]: r["prior"],
                     PARTS[3]: r["total"]} for label, r in results.items()}
    st.plotly_chart(shared.figure(("elbo_parts", *setting), lambda: elbo_figures.bound_bars(parts, colors=COLORS)),
                    key="fig_parts")
    st.markdown("| $\\sigma_t^2$ | " + " | ".join(PARTS_LATEX) + " |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {label} | " + " | ".join(f"{v:.4g}" for v in values.values()) + " |" for label, values in parts.items()))
    show_code(reference.summarize_bound)
with right:
    weights = {VARIANCES[v]: elbo_view.weight_over_simple(name, v) for v in variances}
    st.plotly_chart(shared.figure(("elbo_weight", name, tuple(variances)), lambda: common.lines(
        weights, "What L_simple drops: D × the eq. 12 weight", "weight relative to L_simple",
        x={label: list(range(2, T + 1)) for label in weights}, log_y=True, hline=(1.0, "L_simple"),
        dashed=(VARIANCES["fixed_small"],), colors=COLORS)), key="fig_weight")
    st.caption(r"$L_{t-1} = w_t\,\mathbb E\|\varepsilon - \varepsilon_\theta\|^2$ with "
               r"$w_t = \frac{\beta_t^2}{2\sigma_t^2\alpha_t(1-\bar\alpha_t)}$ (eq. 12); $L_\text{simple}$ (eq. 14) "
               r"uses $1/D$ at every $t$. Above 1, the bound counts a step more than $L_\text{simple}$ does.")
    show_code(reference.eps_weight, reference.eps_weight_over_simple)
