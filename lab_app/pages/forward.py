"""Forward process: the chain x_0 → x_1 → … → x_t of eq. 2 beside the one jump of eq. 4, and why each step shrinks
x_{t-1} by √(1 − β_t)."""
import streamlit as st

import reference
from lab_app.figures import common, forward as figures_forward, style
from lab_app.server import models
from lab_app.ui.fragments import fragment
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import read_schedule
from lab_app.views import forward as forward_view, shared
from lab_app.views.forward import DEFAULTS
from reference.data import TOY_DATASETS

UNSCALED = "unscaled chain x<sub>t</sub> = x<sub>t−1</sub> + √β<sub>t</sub>·ε"
EXACT, EXACT_UNSCALED = "exact, eq. 4", "exact, 1 + Σ β<sub>s</sub>"
COLORS = {figures_forward.CHAIN: style.COLORS[0], EXACT: style.COLORS[0], UNSCALED: style.COLORS[1],
          EXACT_UNSCALED: style.COLORS[1]}

st.title("Forward process")
st.markdown("Ho et al. (2020) define the forward process one small step at a time (eq. 2):")
st.latex(r"q(x_t \mid x_{t-1}) = \mathcal{N}\big(x_t;\ \sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big)")
st.markdown(r"and show that $t$ such steps compose into one jump from the data (eq. 4), with $\alpha_t = 1-\beta_t$ "
            r"and $\bar\alpha_t = \prod_{s=1}^{t} \alpha_s$:")
st.latex(r"q(x_t \mid x_0) = \mathcal{N}\big(x_t;\ \sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big)")
st.markdown("Below, the same 2-D points (standardised to mean 0 and variance 1 per coordinate) are noised both ways: "
            "$t$ steps of eq. 2, and one draw from eq. 4. Timesteps are the paper's $t = 1 … T$; the code's index is "
            "$t - 1$.")

# 1. Read the widgets.
left, right = st.columns([1, 3], gap="large")
with left:
    spec = read_schedule(default=DEFAULTS.kind, label="Schedule", prefix="forward_")
    dataset = st.selectbox("2-D data set", TOY_DATASETS, index=TOY_DATASETS.index(DEFAULTS.dataset),
                           key="forward_dataset")
    n = int(st.number_input("points", value=DEFAULTS.n, min_value=100, max_value=20_000, step=500, key="forward_n"))
    seed = int(st.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="forward_seed"))
if spec is None:
    st.info("Upload a β file to run the chain.")
    st.stop()

# 2. The reference validates the schedule.
try:
    T = shared.build_schedule(spec).T
except ValueError as e:
    st.error(str(e))
    st.stop()


@fragment
def chain_against_jump(spec: shared.ScheduleSpec, T: int, dataset: str, n: int, seed: int) -> None:
    """The chain and the jump at one t: a fragment, so that moving t redraws this part only."""
    st.subheader("Step by step against one jump")
    t = st.slider("t (paper's; code's index is t − 1)", 1, T, DEFAULTS.t(T), key=f"forward_t_{T}") if T > 1 else 1
    # 3. Cached arrays: t is the paper's, the cache takes code's t − 1.
    r = forward_view.forward_at(spec, dataset, n, seed, t - 1)
    st.plotly_chart(shared.figure(("chain_vs_jump", spec, dataset, n, seed, t),
                                 lambda: figures_forward.chain_vs_jump(r["chain"], r["jump"], t)),
                    key="fig_chain_vs_jump")
    chain, jump = r["chain_moments"], r["jump_moments"]

    def cells(m: dict, key: str) -> list[str]:
        return [f"{v:.4f} ± {se:.4f}" for v, se in zip(m[key], m[f"{key}_se"])]

    st.markdown(
        f"Moments over the {n} points at $t = {t}$ (± one standard error):\n\n"
        "| | mean, coordinate 1 | mean, coordinate 2 | variance, coordinate 1 | variance, coordinate 2 |\n"
        "|---|---|---|---|---|\n"
        f"| {figures_forward.CHAIN} | " + " | ".join(cells(chain, "mean") + cells(chain, "variance")) + " |\n"
        f"| {figures_forward.JUMP} | " + " | ".join(cells(jump, "mean") + cells(jump, "variance")) + " |\n"
        r"| exact: $\sqrt{\bar\alpha_t}\,m$ and $\bar\alpha_t v + 1 - \bar\alpha_t$ | "
        + " | ".join(f"{v:.4f}" for v in [*r["exact_mean"], *r["exact_variance"]]) + " |\n"
        "| gap between the two ways, in standard errors | "
        + " | ".join(f"{v:+.2f}" for v in [*r["gap_mean"], *r["gap_variance"]]) + " |")
    st.caption("$m$ and $v$ are the data's mean and variance per coordinate (0 and 1 after standardising). A gap "
               "within about ±3 standard errors is what two samples of one distribution give; the two ways share "
               "their $x_0$, so the gaps are smaller still.")
    show_code(reference.q_step_sample, reference.q_chain, reference.diffuse, reference.moments,
              reference.moments_gap)


with right:
    chain_against_jump(spec, T, dataset, n, seed)

# 3. Cached arrays for the whole chain.
st.subheader(r"Why $\sqrt{1-\beta_t}$: the variance over $t$")
st.markdown(r"For data of variance $v$, eq. 2 keeps $\operatorname{Var} x_t = \bar\alpha_t v + 1 - \bar\alpha_t$, "
            r"which stays 1 at every $t$ when $v = 1$: the chain ends near $\mathcal{N}(0, I)$, the prior $p(x_T)$. "
            r"Drop the $\sqrt{1-\beta_t}$ and each step only adds noise, so the variance grows as "
            r"$v + \sum_{s \le t} \beta_s$:")
st.latex(r"x_t = x_{t-1} + \sqrt{\beta_t}\,\epsilon \quad\Rightarrow\quad "
         r"\operatorname{Var} x_t = v + \sum_{s=1}^{t} \beta_s")
v = forward_view.forward_variance(spec, dataset, n, seed)
st.plotly_chart(shared.figure(("forward_variance", spec, dataset, n, seed), lambda: common.lines(
    {figures_forward.CHAIN: v["chain"]["average_variance"], EXACT: v["chain"]["average_exact_variance"],
     UNSCALED: v["unscaled"]["average_variance"], EXACT_UNSCALED: v["unscaled"]["average_exact_variance"]},
    "Variance of x<sub>t</sub> (averaged over the 2 coordinates), measured along each chain", "variance",
    dashed=(EXACT, EXACT_UNSCALED), colors=COLORS)), key="fig_variance")
st.caption(f"At $t = T = {T}$ the chain of eq. 2 measures a variance of {v['chain']['average_variance'][-1]:.3f} "
           f"(exactly {v['chain']['average_exact_variance'][-1]:.3f}); the unscaled chain "
           f"{v['unscaled']['average_variance'][-1]:.3f} (exactly {v['unscaled']['average_exact_variance'][-1]:.3f}). "
           f"Both chains of {T} steps on {n} points took {v['seconds']:.2f} s on {reference.device_name()}, holding "
           "one batch and the moments at every $t$, never every $x_t$.")
show_code(reference.chain_moments, reference.unscaled_step_sample, reference.marginal_moments)

st.subheader("A digit, step by step and in one jump")
digit = int(st.columns(4)[0].number_input("held-out digit", value=DEFAULTS.digit, min_value=0,
                                          max_value=len(models.digits_split().x_test) - 1, step=1, key="forward_digit"))
ts = DEFAULTS.digit_ts(T)  # the paper's t
d = forward_view.forward_digit(spec, digit, seed, tuple(t - 1 for t in ts))
st.plotly_chart(shared.figure(("digit_strip", spec, digit, seed, tuple(ts)), lambda: figures_forward.digit_strip(
    d["x0"], {"step by step": d["chain"], "one jump": d["jump"]}, ts)), key="fig_digit_strip")
st.caption("Each row uses its own noise, so the pixels differ, but the two rows fade alike: the same $\\sqrt{\\bar"
           "\\alpha_t}$ of the digit is left under the same $1 - \\bar\\alpha_t$ of noise variance at every $t$. Gray "
           "spans [−1, 1]; noise beyond it saturates.")
