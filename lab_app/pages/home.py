"""The landing page: what DDPM Lab teaches, where to start, and the released notebooks to download."""
import streamlit as st

from lab_app.build_release import RELEASE

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
st.subheader("The notebooks")
st.markdown("In the first assignment, `ddpm_core.ipynb`, you write DDPM's four pieces yourself: `q_sample` (eq. 4), "
            "`posterior_mean` (eq. 7), the ε-loss `eps_loss` (eq. 14) and the sampling loop `sample_loop` "
            "(Algorithm 2). The second, `ddpm_beyond.ipynb`, goes past Algorithm 2: one KL term of the bound "
            "`kl_term` (eq. 5), a DDIM step `ddim_step` (Song et al. 2021, eq. 12), DDIM over the trailing "
            "timesteps `ddim_sample`, and latent diffusion's sampler `sample_latent`. Their tests check each "
            "function against the same reference. Save a notebook inside your clone of this repository (its first "
            "cell imports the checks from `graders/`) and open it with `jupyter lab <name>.ipynb`.")
notebooks = sorted(RELEASE.glob("*.ipynb"))  # only the students' copies: lab_app/release/, never assignments/source/
if not notebooks:
    st.info("No assignment notebook has been released to this lab yet.")
for notebook in notebooks:
    st.download_button(f"Download {notebook.name}", notebook.read_bytes(), notebook.name, "application/x-ipynb+json",
                       on_click="ignore")
