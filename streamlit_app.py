"""DDPM Lab: the router. Pages live in lab_app/pages/; each gives its title and icon once, here."""
import streamlit as st
import torch

from lab_app.server import admission
from lab_app.server.compute.host import limit_malloc_arenas
from lab_app.server.settings import settings
from lab_app.ui import course_mode
from lab_app.views import warmup
from reference import device_name


def run() -> None:
    st.set_page_config(page_title="DDPM Lab", page_icon="🌫️", layout="wide")
    try:
        course_mode.open_assignments()  # a misspelt assignment must not leave its answers on show (README)
    except ValueError as e:
        st.error(str(e))
        st.stop()
    # The lab's models are small and every student session computes in its own thread: one torch thread each keeps
    # OpenMP workers from spinning against each other (12× faster sampling on a busy 2-core machine; README "The lab").
    torch.set_num_threads(settings().threads)
    limit_malloc_arenas()  # every rerun's thread would otherwise keep its own heap (README "Serving a class")
    warmup.start()  # once per server process: the pages' defaults, computed in the background (lab_app/views/warmup.py)
    page = st.navigation([
        st.Page("lab_app/pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("lab_app/pages/schedule.py", title="Schedule design", icon=":material/show_chart:"),
        st.Page("lab_app/pages/forward.py", title="Forward process", icon=":material/trending_flat:"),
        st.Page("lab_app/pages/posterior.py", title="Posterior q(xₜ₋₁ | xₜ, x₀)", icon=":material/undo:"),
        st.Page("lab_app/pages/elbo.py", title="ELBO inspection", icon=":material/functions:"),
        st.Page("lab_app/pages/mhvae.py", title="Diffusion as a hierarchical VAE", icon=":material/layers:"),
        st.Page("lab_app/pages/predictions.py", title="x₀, ε or v", icon=":material/swap_horiz:"),
        st.Page("lab_app/pages/training.py", title="Training (Algorithm 1)", icon=":material/model_training:"),
        st.Page("lab_app/pages/sampling.py", title="Sampling", icon=":material/scatter_plot:"),
        st.Page("lab_app/pages/conditioning.py", title="Conditioning and guidance", icon=":material/tune:"),
        st.Page("lab_app/pages/network.py", title="The network", icon=":material/account_tree:"),
        st.Page("lab_app/pages/latent.py", title="Latent diffusion", icon=":material/compress:"),
        st.Page("lab_app/pages/families.py", title="VAE, GAN, flow and diffusion", icon=":material/compare:"),
    ])
    st.sidebar.caption(f"Computing on: **{device_name()}**")
    with admission.turns().turn():  # page scripts take turns for the interpreter (lab_app/server/admission.py)
        page.run()


run()
