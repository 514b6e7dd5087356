"""Schedule design: choose β_1 … β_T and see what ᾱ_t, the signal-to-noise ratio and the noised data do."""
import streamlit as st

import reference
from lab_app import cache, figures
from lab_app.show_code import show_code
from reference import SCHEDULE_NAMES
from reference.data import TOY_DATASETS
from reference.schedules import BETA_BUILDERS

LIST, FILE = "custom β list", "upload a file"
KINDS = (*SCHEDULE_NAMES, LIST, FILE)
DEFAULT_KINDS = ("linear", "cosine", "quadratic")
N_POINTS = 500  # 2-D points noised per schedule
DEFAULT_LIST = "0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1"


def read_spec(i: int) -> cache.ScheduleSpec | None:
    """The widgets of schedule i, as a tuple of primitives (None while a file is still to be uploaded)."""
    kind = st.selectbox(f"Schedule {i + 1}", KINDS, index=KINDS.index(DEFAULT_KINDS[i]), key=f"kind_{i}")
    if kind == LIST:
        return ("list", st.text_area("β_1 … β_T, separated by commas or spaces", DEFAULT_LIST, key=f"betas_{i}"))
    if kind == FILE:
        upload = st.file_uploader("β file (.npz, .json, .txt, .csv)", type=["npz", "json", "txt", "csv"],
                                  key=f"file_{i}", help="a file downloaded from this page, or a plain list of β")
        return None if upload is None else ("file", upload.name, upload.getvalue())
    T = st.number_input("T (number of steps)", value=1000, step=1, max_value=10_000, key=f"T_{i}")
    if kind == "cosine":
        params = {"s": st.number_input("offset s", value=0.008, step=0.001, format="%.4f", key=f"s_{i}"),
                  "max_beta": st.number_input("largest β", value=0.999, step=0.001, format="%.4f", key=f"max_beta_{i}")}
    else:
        params = {"beta_start": st.number_input("β_1", value=None, step=1e-4, format="%.6f", key=f"beta_start_{i}",
                                                placeholder="default 1e-4 · 1000/T"),
                  "beta_end": st.number_input("β_T", value=None, step=1e-3, format="%.5f", key=f"beta_end_{i}",
                                              placeholder="default 0.02 · 1000/T")}
    zero_snr = st.checkbox("rescale to ᾱ_T = 0", key=f"zero_snr_{i}", help="zero terminal SNR (Lin et al. 2024)")
    return (kind, int(T), tuple((k, v) for k, v in params.items() if v is not None), zero_snr)


st.title("Schedule design")
st.markdown(
    "The forward process adds Gaussian noise in T steps of variance β_t, so that "
    "x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε with ᾱ_t = Π_{s≤t}(1 − β_s) (eq. 4). Pick up to three schedules and compare "
    "how fast each destroys the signal. Axes use the paper's t = 1 … T; the code's index is t − 1."
)

# 1. Read the widgets.
count = st.radio("Schedules to compare", [1, 2, 3], index=1, horizontal=True, key="schedule_count")
columns = st.columns(3)
specs = []
for i in range(count):
    with columns[i]:
        specs.append(read_spec(i))
if any(spec is None for spec in specs):
    st.info("Upload a β file to draw that schedule.")
    st.stop()

# 2. Let the reference validate.
labels = []
for i, spec in enumerate(specs):
    try:
        labels.append(f"{i + 1}: {cache.schedule_label(spec)}")
    except ValueError as e:
        st.error(f"Schedule {i + 1}: {e}")
        st.stop()

# 3. Cached arrays.
curves = {label: cache.schedule_curves(spec) for label, spec in zip(labels, specs)}

for label, curve in curves.items():
    if not curve["negligible"]:
        st.warning(f"Schedule {label}: ᾱ_T = {curve['alpha_bar_T']:.3g}, so x_T still carries the data and the prior "
                   f"term L_T = KL(q(x_T | x_0) ‖ N(0, I)) ≈ {curve['prior_bits_per_dim']:.3g} bits/dim is not "
                   "negligible (eq. 5). Raise T or the late β_t.")
st.markdown("| schedule | ᾱ_T | L_T (bits/dim, data of unit variance) |\n|---|---|---|\n" + "\n".join(
    f"| {label} | {curve['alpha_bar_T']:.3g} | {curve['prior_bits_per_dim']:.3g} |" for label, curve in curves.items()))

# 4. Figures.
st.plotly_chart(figures.schedule_panels(curves), key="fig_schedules")
builders = dict.fromkeys(BETA_BUILDERS[spec[0]] for spec in specs if spec[0] in BETA_BUILDERS)  # each once, in order
show_code(reference.Schedule.from_name, *builders, reference.Schedule.from_betas, reference.log_snr,
          reference.terminal_signal)



@st.fragment
def noised_data(labels: list[str], specs: list[cache.ScheduleSpec], T: dict[str, int]) -> None:
    """The data noised at t: a fragment, so that moving t redraws this figure only."""
    st.subheader("The data, noised at t")
    T_max = max(T.values())
    a, b, c = st.columns(3)
    t = a.slider("t (paper's; code's index is t − 1)", 1, T_max, max(1, T_max // 4), key=f"t_{T_max}")
    dataset = b.selectbox("2-D data set", TOY_DATASETS, key="schedule_dataset")
    seed = c.number_input("seed", value=0, min_value=0, step=1, key="schedule_seed")
    noised = {}
    for label, spec in zip(labels, specs):
        t_here = min(t, T[label])  # a schedule with fewer steps stops at its own T
        noised[f"{label}, t = {t_here}"] = (cache.toy_data(dataset, N_POINTS, int(seed)),
                                            cache.noised_toy(spec, dataset, N_POINTS, t_here - 1, int(seed)),
                                            cache.noised_digits(spec, 8, t_here - 1, int(seed)))
    st.plotly_chart(figures.noised_panels(noised), key="fig_noised")
    show_code(reference.q_sample)


noised_data(labels, specs, {label: len(curve["betas"]) for label, curve in curves.items()})

st.subheader("Take a schedule to the notebook")
st.caption("Load it with `reference.load_schedule(path)`, or `Schedule.from_betas(np.load(path)['betas'])`.")
columns = st.columns(len(specs))
for i, (column, label, spec) in enumerate(zip(columns, labels, specs)):
    npz, json_text = cache.schedule_files(spec)
    stem = cache.build_schedule(spec).name
    column.download_button(f"{label} as .npz", npz, f"{stem}_schedule.npz", "application/octet-stream",
                           key=f"npz_{i}", on_click="ignore")
    column.download_button(f"{label} as JSON", json_text, f"{stem}_schedule.json", "application/json",
                           key=f"json_{i}", on_click="ignore")
