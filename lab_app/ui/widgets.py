"""Widgets more than one page uses."""
import streamlit as st

from lab_app.views.shared import SCHEDULE_DEFAULTS, ScheduleSpec
from reference import SCHEDULE_NAMES
from reference.checkpoints import available_checkpoints

LIST, FILE = "custom β list", "upload a file"
SCHEDULE_KINDS = (*SCHEDULE_NAMES, LIST, FILE)
DEFAULT_LIST = "0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1"


def pick_model(container, key: str) -> str:
    """A select box over the shipped checkpoints, "moons" first; stops the page with a message if there are none."""
    names = available_checkpoints()
    if not names:
        st.error("No shipped checkpoints found in reference/weights/.")
        st.stop()
    return container.selectbox("Model", names, index=names.index("moons") if "moons" in names else 0, key=key)


def read_schedule(i: int = 0, *, default: str = "linear", label: str | None = None,
                  prefix: str = "") -> ScheduleSpec | None:
    """The widgets of one schedule, keyed f"{prefix}kind_{i}", f"{prefix}T_{i}", …, read as a ScheduleSpec
    tuple of primitives (None while a file is still to be uploaded). `label` names the select box (default
    "Schedule {i + 1}")."""
    kind = st.selectbox(label or f"Schedule {i + 1}", SCHEDULE_KINDS, index=SCHEDULE_KINDS.index(default),
                        key=f"{prefix}kind_{i}")
    if kind == LIST:
        return ("list", st.text_area(r"$\beta_1 … \beta_T$, separated by commas or spaces", DEFAULT_LIST,
                                     key=f"{prefix}betas_{i}"))
    if kind == FILE:
        upload = st.file_uploader("β file (.npz, .json, .txt, .csv)", type=["npz", "json", "txt", "csv"],
                                  key=f"{prefix}file_{i}",
                                  help="a file downloaded from this page, or a plain list of β")
        return None if upload is None else ("file", upload.name, upload.getvalue())
    T = st.number_input("T (number of steps)", value=SCHEDULE_DEFAULTS.T, step=1, max_value=10_000,
                        key=f"{prefix}T_{i}")
    if kind == "cosine":
        first = SCHEDULE_DEFAULTS.params["cosine"]
        params = {"s": st.number_input("offset s", value=first["s"], step=0.001, format="%.4f", key=f"{prefix}s_{i}"),
                  "max_beta": st.number_input("largest β", value=first["max_beta"], step=0.001, format="%.4f",
                                              key=f"{prefix}max_beta_{i}")}
    else:
        params = {"beta_start": st.number_input(r"$\beta_1$", value=None, step=1e-4, format="%.6f",
                                                key=f"{prefix}beta_start_{i}", placeholder="default 1e-4 · 1000/T"),
                  "beta_end": st.number_input(r"$\beta_T$", value=None, step=1e-3, format="%.5f",
                                              key=f"{prefix}beta_end_{i}", placeholder="default 0.02 · 1000/T")}
    zero_snr = st.checkbox(r"rescale to $\bar\alpha_T = 0$", key=f"{prefix}zero_snr_{i}",
                           help="zero terminal SNR (Lin et al. 2024)")
    return (kind, int(T), tuple((k, v) for k, v in params.items() if v is not None), zero_snr)
