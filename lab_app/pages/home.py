"""The landing page: what DDPM Lab teaches and where to start."""
import streamlit as st

from reference import device_name

st.title("DDPM Lab")
st.markdown(
    "A classroom lab for denoising diffusion probabilistic models (Ho et al. 2020). "
    "Every number on these pages comes from the lab's reference implementation in `reference/`, "
    "the same code the assignment's graders hold your functions against."
)
st.sidebar.caption(f"Computing on: **{device_name()}**")
