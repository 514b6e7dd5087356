"""The landing page: what DDPM Lab teaches, where to start, and the released notebooks to download."""
from pathlib import Path

import streamlit as st

import lab_app

RELEASE = Path(lab_app.__file__).resolve().parent / "release"  # written by `python -m graders.nbgrader.build_release`

st.title("DDPM Lab")
st.markdown(
    "A classroom lab for denoising diffusion probabilistic models (Ho et al. 2020). "
    "Every number on these pages comes from the lab's reference implementation in `reference/`, "
    "the same code the assignment's graders hold your functions against. "
    "Timesteps: the code's t runs 0 … T−1; the paper's t is t + 1, which the plots' axes use."
)
PAGES = [  # (file, icon, what it shows), in the course's order
    ("schedule.py", ":material/show_chart:", r"**Schedule design**: how $\beta_t$ sets $\bar\alpha_t$, the signal-to-noise "
     r"ratio and the prior term $L_T$, and what $x_t$ looks like at any $t$ (eq. 4)."),
    ("forward.py", ":material/trending_flat:", r"**Forward process**: $t$ steps of eq. 2 against one jump of eq. 4, and why "
     r"the variance stays near 1."),
    ("posterior.py", ":material/undo:", r"**Posterior**: $\tilde\mu_t$'s coefficients and $\tilde\beta_t$ (eqs. 6–7), "
     r"checked against Bayes' rule on a grid."),
    ("elbo.py", ":material/functions:", r"**ELBO inspection**: every term of the bound, $L_0 \dots L_T$, on a trained "
     r"model; $\sigma^2 = \beta$ against $\tilde\beta$; the eq. 12 weight that $L_\text{simple}$ drops."),
    ("mhvae.py", ":material/layers:", "**Diffusion as a hierarchical VAE**: the three restrictions that turn a "
     "Markovian hierarchical VAE into DDPM, term by term (Luo 2022)."),
    ("training.py", ":material/model_training:", r"**Training (Algorithm 1)**: train a toy $\varepsilon_\theta$ live, "
     r"with its $L_\text{simple}$ curve (eq. 14), samples every $N$ steps, Stop and Resume."),
    ("predictions.py", ":material/swap_horiz:", r"**x₀, ε or v**: three targets, one $p_\theta$; what each loss "
     r"weighs at each $t$ against the bound, and models trained on each, measured."),
    ("sampling.py", ":material/scatter_plot:", r"**Sampling**: Algorithm 2 and DDIM step by step, with $x_t$ and the "
     r"model's $\hat x_0$ along the way."),
    ("conditioning.py", ":material/tune:", r"**Conditioning and guidance**: one network told which digit (or which "
     r"moon) to draw, and classifier-free guidance's $w$ trading diversity for class accuracy, measured."),
    ("network.py", ":material/account_tree:", "**The network**: the digits model's U-Net from its module tree, the "
     "sinusoidal time embedding, attention maps and feature maps."),
    ("latent.py", ":material/compress:", "**Latent diffusion**: a VAE's prior against its encoded digits, and samples "
     "from the prior, a latent DDPM and the pixel-space DDPM, measured."),
    ("families.py", ":material/compare:", "**VAE, GAN, flow and diffusion**: four families on the same data, side by "
     "side, with likelihood in bits/dim (exact, bound or none), sample quality and sampling cost, measured."),
]
for page, icon, label in PAGES:
    st.page_link(f"lab_app/pages/{page}", label=label, icon=icon)
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
