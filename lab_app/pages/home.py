"""The landing page: what DDPM Lab teaches and where to start."""
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path("assignments/source/ddpm_core/ddpm_core.ipynb")

st.title("DDPM Lab")
st.markdown(
    "A classroom lab for denoising diffusion probabilistic models (Ho et al. 2020). "
    "Every number on these pages comes from the lab's reference implementation in `reference/`, "
    "the same code the assignment's graders hold your functions against. "
    "Timesteps: the code's t runs 0 … T−1; the paper's t is t + 1, which the plots' axes use."
)
st.page_link("lab_app/pages/schedule.py", label="**Schedule design**: how β_t sets ᾱ_t, the signal-to-noise ratio "
             "and the prior term L_T, and what x_t looks like at any t (eq. 4).", icon=":material/show_chart:")
st.page_link("lab_app/pages/elbo.py", label="**ELBO inspection**: every term of the bound, L_0 … L_T, on a trained "
             "model; σ² = β against σ² = β̃; the eq. 12 weight that L_simple drops (eq. 14).",
             icon=":material/functions:")
st.page_link("lab_app/pages/sampling.py", label="**Sampling**: Algorithm 2 and DDIM step by step, with x_t and the "
             "model's x̂0 along the way.", icon=":material/scatter_plot:")
st.subheader("The notebook")
st.markdown(f"The assignment, where you write `q_sample`, the loss and the sampler yourself, is "
            f"`{NOTEBOOK}`. Open it with `jupyter lab {NOTEBOOK}`.")
if (ROOT / NOTEBOOK).exists():
    st.download_button("Download the notebook", NOTEBOOK.read_bytes(), NOTEBOOK.name, "application/x-ipynb+json",
                       on_click="ignore")
