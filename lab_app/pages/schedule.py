"""Schedule design: choose β_1 … β_T and see what ᾱ_t, the signal-to-noise ratio and the noised data do."""
import streamlit as st

import reference
from lab_app.figures import schedule as schedule_figures, style
from lab_app.ui.fragments import fragment
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import read_schedule
from lab_app.views import schedule as schedule_view, shared
from lab_app.views.schedule import DEFAULTS
from reference.data import TOY_DATASETS
from reference.diffusion.schedules import BETA_BUILDERS



st.title("Schedule design")
st.markdown(r"The forward process adds Gaussian noise in $T$ steps of variance $\beta_t$, so that (eq. 4)")
st.latex(r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad "
         r"\bar\alpha_t = \prod_{s=1}^{t} (1-\beta_s),\qquad \varepsilon \sim \mathcal N(0, I).")
st.markdown("Pick up to three schedules and compare how fast each destroys the signal. Axes use the paper's "
            r"$t = 1, \dots, T$; the code's index is $t - 1$.")

# 1. Read the widgets. 2. Let the reference validate each schedule on its own: a bad one shows its error under its
# widgets, and the others are still drawn, each in the colour of its slot.
left, right = st.columns([2, 1])
count = left.radio("Schedules to compare", [1, 2, 3], index=DEFAULTS.count - 1, horizontal=True, key="schedule_count")
relative = right.checkbox("x axis: t / T", key="schedule_relative_t",
                          help="each schedule against t / T, so that schedules with different T span the same axis")
columns = st.columns(3)
valid = []  # (slot, label, spec) of each schedule the reference accepted
for i in range(count):
    with columns[i]:
        spec = read_schedule(i, default=DEFAULTS.kinds[i])
        if spec is None:
            st.info("Upload a β file to draw this schedule.")
            continue
        try:
            valid.append((i, f"{i + 1}: {shared.schedule_label(spec)}", spec))
        except ValueError as e:
            st.error(f"Schedule {i + 1}: {e}")
st.caption(r"Every $\beta_t$ lies in $(0, 1)$ but the last, which may be 1: $\beta_T = 1$ makes $\bar\alpha_T = 0$, so "
           r"$x_T$ is pure noise as the prior $\mathcal N(0, I)$ assumes (zero terminal SNR); an earlier $\beta_t = 1$ "
           r"would erase the data mid-chain and leave $\hat x_0$ (eq. 15) undefined from there on.")
if not valid:
    st.stop()
colors = {label: style.COLORS[i] for i, label, _ in valid}

# 3. Cached arrays.
curves = {label: schedule_view.schedule_curves(spec) for _, label, spec in valid}

for label, curve in curves.items():
    if not curve["negligible"]:
        st.warning(f"Schedule {label}: $\\bar\\alpha_T = {curve['alpha_bar_T']:.3g}$, so $x_T$ still carries the data "
                   f"and the prior term $L_T = D_{{KL}}(q(x_T \\mid x_0)\\,\\|\\,\\mathcal N(0, I)) \\approx "
                   f"{curve['prior_bits_per_dim']:.3g}$ bits/dim is not negligible (eq. 5). Raise $T$ or the late "
                   "$\\beta_t$.")
st.markdown("| schedule | $\\bar\\alpha_T$ | $L_T$ (bits/dim, data of unit variance) |\n|---|---|---|\n" + "\n".join(
    f"| {label} | {curve['alpha_bar_T']:.3g} | {curve['prior_bits_per_dim']:.3g} |" for label, curve in curves.items()))

# 4. Figures.
st.plotly_chart(shared.figure(("schedule_panels", tuple((label, spec) for _, label, spec in valid), relative),
                             lambda: schedule_figures.schedule_panels(curves, relative=relative, colors=colors)),
                key="fig_schedules")
builders = dict.fromkeys(BETA_BUILDERS[spec[0]] for _, _, spec in valid if spec[0] in BETA_BUILDERS)  # once each, in order
show_code(reference.Schedule.from_name, *builders, reference.Schedule.from_betas, reference.log_snr,
          reference.terminal_signal)


@fragment
def noised_data(valid: list[tuple[int, str, shared.ScheduleSpec]], T: dict[str, int], colors: dict[str, str]) -> None:
    """The data noised at t: a fragment, so that moving t redraws this figure only."""
    st.subheader("The data, noised at t")
    T_max = max(T.values())
    a, b, c = st.columns(3)
    t = a.slider("t (paper's; code's index is t − 1)", 1, T_max, DEFAULTS.t(T_max), key=f"t_{T_max}")
    dataset = b.selectbox("2-D data set", TOY_DATASETS, index=TOY_DATASETS.index(DEFAULTS.dataset),
                          key="schedule_dataset")
    seed = c.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="schedule_seed")
    noised, title_colors, key = {}, {}, ["noised_panels", dataset, int(seed)]
    for _, label, spec in valid:
        t_here = min(t, T[label])  # a schedule with fewer steps stops at its own T
        title = f"{label}, t = {t_here}"
        noised[title] = (shared.toy_data(dataset, DEFAULTS.points, int(seed)),
                         schedule_view.noised_toy(spec, dataset, DEFAULTS.points, t_here - 1, int(seed)),
                         schedule_view.noised_digits(spec, DEFAULTS.digits, t_here - 1, int(seed)))
        title_colors[title] = colors[label]
        key.append((title, spec))
    st.plotly_chart(shared.figure(tuple(key), lambda: schedule_figures.noised_panels(noised, colors=title_colors)),
                    key="fig_noised")
    show_code(reference.diffuse)


noised_data(valid, {label: len(curve["betas"]) for label, curve in curves.items()}, colors)

st.subheader("Take a schedule to the notebook")
st.caption("Load it with `reference.load_schedule(path)`, or `Schedule.from_betas(np.load(path)['betas'])`.")
for column, (i, label, spec) in zip(st.columns(len(valid)), valid):
    npz, json_text = schedule_view.schedule_files(spec)
    stem = shared.build_schedule(spec).name
    column.download_button(f"{label} as .npz", npz, f"{stem}_schedule.npz", "application/octet-stream",
                           key=f"npz_{i}", on_click="ignore")
    column.download_button(f"{label} as JSON", json_text, f"{stem}_schedule.json", "application/json",
                           key=f"json_{i}", on_click="ignore")
