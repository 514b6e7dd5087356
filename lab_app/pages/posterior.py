"""The posterior q(x_{t-1} | x_t, x_0) (eqs. 6–7): its mean's two coefficients and its variance β̃_t over t, and a
1-D example checked against Bayes' rule on a grid."""
import streamlit as st

import reference
from lab_app.figures import posterior as figures_posterior
from lab_app.ui.fragments import fragment
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import read_schedule
from lab_app.views import posterior as posterior_view, shared
from lab_app.views.posterior import DEFAULTS

DRAW, TYPE = r"draw it from $q(x_t \mid x_0)$", "type it"
TABLE_T = (1, 2, 3, 10, 100)  # the paper's t in the β̃ table, with T added

st.title(r"Posterior $q(x_{t-1} \mid x_t, x_0)$")
st.markdown("Given the data point $x_0$, the step back from $x_t$ is Gaussian with a closed form (eqs. 6–7), which "
            "the bound's terms $L_{t-1}$ compare the model against:")
st.latex(r"q(x_{t-1} \mid x_t, x_0) = \mathcal{N}\big(x_{t-1};\ \tilde\mu_t(x_t, x_0),\ \tilde\beta_t I\big)")
st.latex(r"\tilde\mu_t(x_t, x_0) = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0 "
         r"+ \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t, \qquad "
         r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t")
st.markdown("Timesteps are the paper's $t = 1 … T$ (the code's index is $t - 1$), and $\\bar\\alpha_0 = 1$.")

# 1. Read the widgets.
left, right = st.columns([1, 3], gap="large")
with left:
    spec = read_schedule(default=DEFAULTS.kind, label="Schedule", prefix="posterior_")
if spec is None:
    st.info("Upload a β file to see its posterior.")
    st.stop()

# 2. The reference validates the schedule. 3. Cached arrays.
try:
    curves = posterior_view.posterior_curves(spec)
except ValueError as e:
    st.error(str(e))
    st.stop()
T = len(curves["betas"])

# 4. Figures.
with right:
    log_t = st.checkbox("t on a log axis", value=True, key="posterior_log_t",
                        help="the coefficients change fastest over the first few steps")
    st.plotly_chart(figures_posterior.coefficients(curves, log_t=log_t), key="fig_coefficients")
    st.caption(r"Early on, $\tilde\mu_t$ leans on $x_0$ ($x_t$ is barely noised, so $x_{t-1}$ sits near $x_0$); late, "
               r"on $x_t$. $\tilde\beta_t$ starts at 0 and soon nearly equals $\beta_t$: the two choices of the "
               r"reverse variance $\sigma_t^2$ in Ho et al. §3.2.")
    show_code(reference.Schedule.from_betas)

st.subheader("A 1-D example: eq. 7 against Bayes' rule on a grid")
st.markdown("Bayes' rule needs no algebra: multiply the step forward (eq. 2) by the jump from the data (eq. 4), as "
            "functions of $x_{t-1}$, and normalise numerically on a fine grid:")
st.latex(r"q(x_{t-1} \mid x_t, x_0) = \frac{q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)}"
         r"{\int q(x_t \mid x')\, q(x' \mid x_0)\, dx'}")
@fragment
def one_dimensional_example(spec: shared.ScheduleSpec, T: int, curves: dict) -> None:
    """x0, t and x_t, and eq. 7 against the grid: a fragment, so that moving t or x0 reruns this part only."""
    a, b, c, d = st.columns(4)
    x0 = float(a.number_input("$x_0$", value=DEFAULTS.x0, min_value=-10.0, max_value=10.0, step=0.1, format="%.3f",
                              key="posterior_x0"))
    t = b.slider("t (paper's; code's index is t − 1)", 1, T, DEFAULTS.t(T), key=f"posterior_t_{T}") if T > 1 else 1
    mode = c.radio("$x_t$", (DRAW, TYPE), key="posterior_mode")
    if mode == DRAW:
        seed = int(d.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="posterior_seed"))
        x_t = posterior_view.draw_x_t(spec, x0, t - 1, seed)
        d.caption(f"$x_t$ = {x_t:.4f}")
    else:
        x_t = float(d.number_input("$x_t$", value=DEFAULTS.x_t, min_value=-100.0, max_value=100.0, step=0.1,
                                   format="%.4f", key="posterior_x_t"))

    k = t - 1  # code's index
    if t == 1:
        st.info(f"At $t = 1$ there is no density to draw: $\\bar\\alpha_0 = {curves['alpha_bar_prev'][0]:g}$, so "
                f"$q(x_0 \\mid x_0)$ is the point $x_0$ itself, and the posterior collapses onto it: "
                f"$\\tilde\\mu_1 = {curves['coef1'][0]:g}\\cdot x_0 + {curves['coef2'][0]:g}\\cdot x_1 = {x0:g}$ and "
                f"$\\tilde\\beta_1 = {curves['posterior_variance'][0]:g}$. Move $t$ to 2 or more.")
    else:
        try:
            p = posterior_view.posterior_1d(spec, x0, x_t, k)
        except ValueError as e:
            st.error(str(e))
            st.stop()
        table, metric = st.columns([3, 1])
        table.markdown(
            "| | eq. 7 | Bayes' rule on the grid | difference |\n|---|---|---|---|\n"
            f"| mean | $\\tilde\\mu_t$ = {p['posterior_mean']:.8g} | {p['grid_mean']:.8g} | {p['mean_diff']:.1e} |\n"
            f"| variance | $\\tilde\\beta_t$ = {p['posterior_variance']:.8g} | {p['grid_variance']:.8g} | "
            f"{p['variance_diff']:.1e} |")
        metric.metric("largest gap between the curves", f"{p['max_abs_diff']:.2e}",
                      help=f"over {len(p['grid'])} grid points; the peak density is {p['peak']:.4g}")
        st.plotly_chart(figures_posterior.density(p["grid"], p["bayes"], p["closed_form"],
                                                  f"q(x<sub>t−1</sub> | x<sub>t</sub> = {x_t:.4g}, x<sub>0</sub> = "
                                                  f"{x0:g}) at t = {t}"), key="fig_density")
        st.caption(f"The two curves overlap: their largest gap, {p['max_abs_diff']:.2e}, is "
                   f"{p['max_abs_diff'] / p['peak']:.1e} of the peak density, the error of the grid and of floating "
                   "point.")
    show_code(reference.posterior_on_grid, reference.posterior_check_1d, reference.q_posterior_mean_variance)


one_dimensional_example(spec, T, curves)

st.subheader(r"Why $\tilde\beta_t \to 0$ at $t = 1$")
st.markdown(r"One step from the data there is nothing left to guess: $\bar\alpha_0 = 1$, so $x_0$ itself is the "
            r"only $x_{t-1}$ that $q(x_{t-1} \mid x_0)$ allows, and")
st.latex(r"\tilde\beta_1 = \frac{1-\bar\alpha_0}{1-\bar\alpha_1}\,\beta_1 = 0, \qquad "
         r"\tilde\mu_1 = \frac{\sqrt{\bar\alpha_0}\,\beta_1}{1-\bar\alpha_1}\,x_0 + 0\cdot x_1 = x_0 "
         r"\quad (1-\bar\alpha_1 = \beta_1).")
st.markdown(f"The posterior collapses onto $x_0$. Further from the data, $x_{{t-1}}$ is uncertain again and "
            f"$\\tilde\\beta_t$ climbs towards $\\beta_t$. For this schedule ({shared.schedule_label(spec)}):")
rows = sorted({t for t in TABLE_T if t <= T} | {T})
st.markdown(
    "| $t$ | $\\bar\\alpha_{t-1}$ | $\\beta_t$ | $\\tilde\\beta_t$ | $\\tilde\\beta_t / \\beta_t$ | "
    "coefficient on $x_0$ | coefficient on $x_t$ |\n|---|---|---|---|---|---|---|\n" + "\n".join(
        f"| {t} | {curves['alpha_bar_prev'][t - 1]:.6g} | {curves['betas'][t - 1]:.4g} | "
        f"{curves['posterior_variance'][t - 1]:.4g} | {curves['variance_ratio'][t - 1]:.4f} | "
        f"{curves['coef1'][t - 1]:.4g} | {curves['coef2'][t - 1]:.4g} |" for t in rows))
