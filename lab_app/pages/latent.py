"""Latent diffusion: a VAE's prior against its aggregated posterior, and a DDPM on its latents that closes the gap."""
import streamlit as st

from lab_app.figures import common, latent as figures_latent
from lab_app.server import models
from lab_app.ui.progress import with_progress
from lab_app.ui.show_code import show_code
from lab_app.views import latent as latent_views
from lab_app.views.latent import DEFAULTS, SOURCES
from reference import sample_ddim, sample_ddpm
from reference.diffusion.options import SAMPLERS
from reference.families import latent
from reference.evaluate import digit_quality, sliced_wasserstein, support_precision
from reference.families.vae import vae_loss

LABELS = {"prior": "VAE prior", "latent": "latent DDPM", "pixel": "pixel-space DDPM"}  # of views.latent.SOURCES

st.title("Latent diffusion")
st.markdown(
    "A variational autoencoder (Kingma & Welling 2014) encodes a digit $x$ into a Gaussian "
    "$q_\\phi(z \\mid x) = \\mathcal{N}(\\mu_\\phi(x), \\operatorname{diag}\\sigma_\\phi^2(x))$ and decodes a latent "
    "$z$ into $p_\\theta(x \\mid z) = \\mathcal{N}(\\mu_\\theta(z), \\sigma_x^2 I)$. It is trained to maximise the "
    "**evidence lower bound** (K&W eq. 10, with the KL in closed form, their Appendix B):")
st.latex(r"\mathcal{L}(\theta, \phi; x) = \mathbb{E}_{q_\phi(z \mid x)}\!\left[\log p_\theta(x \mid z)\right]"
         r" - \mathrm{KL}\!\left(q_\phi(z \mid x) \,\|\, \mathcal{N}(0, I)\right) \le \log p_\theta(x)")
st.markdown(
    "Sampling a VAE draws $z$ from the **prior** $p(z) = \\mathcal{N}(0, I)$ and decodes it. But the latents the "
    "decoder learned from are draws of the **aggregated posterior**, the encoder's output averaged over the data:")
st.latex(r"q(z) = \frac{1}{N} \sum_{n=1}^{N} q_\phi(z \mid x_n)")
st.markdown(
    "The KL term pulls each $q_\\phi(z \\mid x)$ towards $\\mathcal{N}(0, I)$, but $q(z)$ still differs from it: "
    "prior draws land where no digit was encoded, and decode to blurred or mixed digits. **Latent diffusion** "
    "(Rombach et al. 2022) fits a DDPM to $q(z)$ instead. With $m$ and $s$ the mean and standard deviation of the "
    "training digits' posterior means $\\mu_\\phi(x_n)$, it trains $\\epsilon_\\theta$ by $L_\\text{simple}$ "
    "(Ho et al. eq. 14) on standardised draws, samples them by Algorithm 2 or DDIM, and decodes:")
st.latex(r"\hat z = \frac{z - m}{s}, \quad z \sim q(z) \qquad\longrightarrow\qquad "
         r"\hat z_0 \sim p_\theta(\hat z_0), \quad z = s \odot \hat z_0 + m, \quad x = \mu_\theta(z)")

# 1. Read the widgets.
a, b, c, d, e = st.columns([2, 2, 1, 1, 1])
latent_dim = a.radio("Latent size $d$", latent.LATENT_DIMS, format_func=lambda k: f"{k}-D latent", horizontal=True,
                     key="latent_dim")
sampler = b.radio("Sampler (both DDPMs)", SAMPLERS, index=SAMPLERS.index(DEFAULTS.sampler), format_func=str.upper,
                   horizontal=True, key="latent_sampler")
steps = c.number_input("DDIM steps", value=DEFAULTS.steps, min_value=1, max_value=1000, step=1, key="latent_ddim_steps",
                       disabled=sampler == "ddpm")
n = d.number_input("digits per grid", value=DEFAULTS.n, min_value=4, max_value=256, step=4, key="latent_n")
seed = e.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="latent_seed")
steps = int(steps) if sampler == "ddim" else 1000

# 2.-3. The reference validates and computes (cached), with a progress bar while it runs.
try:
    view, _ = with_progress(latent_views.latent_view, latent_dim, sampler, steps, int(seed),
                            label="latent DDPM steps (q(z) view)")
    grids = {}
    for source in SOURCES:
        grids[source], _ = with_progress(latent_views.latent_grid, source, latent_dim, sampler, steps, int(n),
                                         int(seed), label=f"{LABELS[source]}: sampling steps")
except ValueError as err:
    st.error(str(err))
    st.stop()

# 4. Figures.
st.header("The aggregated posterior against the prior")
st.markdown(
    f"Each test digit is encoded once, $z \\sim q_\\phi(z \\mid x)$, giving {view['n']} draws of the held-out $q(z)$, "
    f"coloured by the digit. Against them: as many prior draws $z \\sim \\mathcal{{N}}(0, I)$, and as many latent "
    f"DDPM samples $z = s \\odot \\hat z_0 + m$ ({sampler.upper()}"
    + (f", {steps} steps" if sampler == "ddim" else ", all T = 1000 steps") + ").")
distances = view["distances"]
columns = st.columns(3)
for column, name in zip(columns, ("prior N(0, I)", "latent DDPM", "training digits' q(z)")):
    column.metric(f"{name}: sliced W₁ to q(z)", f"{distances[name]['sliced_wasserstein']:.3f}",
                  help="sliced 1-Wasserstein distance over 256 random directions (reference.evaluate."
                       "sliced_wasserstein); lower is closer")
    column.metric(f"{name}: on q(z)'s support", f"{100 * distances[name]['support_precision']:.1f} %",
                  help="share of the draws inside the ball around some held-out q(z) draw that reaches its 3rd "
                       "nearest neighbour (Kynkäänniemi et al. 2019; reference.evaluate.support_precision)")
st.caption(
    f"Each figure is the mean over {view['sets']} sets of {view['n']} draws, each set against the {view['n']} held-out "
    "draws. The training digits' q(z), encoded the same way, is a second sample of the same distribution: its "
    "figures are what sampling noise alone gives at this size. A sliced distance averages 1-D projections, which "
    "blur the holes between clusters; the share on the support sees them.")
if latent_dim == 2:
    st.plotly_chart(figures_latent.posterior_vs_samples(view["heldout"], view["labels"],
                                                        {"prior N(0, I)": view["prior"], "latent DDPM": view["ddpm"]}),
                    key="fig_latent_scatter")
    st.caption("Dotted circles: |z| = 1, 2, 3, inside which N(0, I) puts 39 %, 86 % and 99 % of its draws.")
else:
    st.plotly_chart(figures_latent.marginals(view["heldout"], {"latent DDPM": view["ddpm"]}, view["prior_grid"],
                                             view["prior_density"]), key="fig_latent_marginals")
    st.caption("Per-dimension marginals of the 8-D latents: the held-out q(z) (bars), the prior's N(0, 1) (dotted) "
               "and the latent DDPM's samples (steps). Matching marginals do not make matching joints: compare the "
               "share on the support above.")
show_code(latent.aggregated_posterior, latent.heldout_latents, latent.distances_to_aggregated_posterior,
          sliced_wasserstein, support_precision, label="Show the code: q(z) and the distances")

st.header("Decoded samples")
st.markdown(
    "Three samplers of 8×8 digits, each with the same number of samples: decoding prior draws "
    "$x = \\mu_\\theta(z),\\ z \\sim \\mathcal{N}(0, I)$; the latent DDPM above, decoded the same way; and the "
    "pixel-space DDPM of the Sampling page (the `digits` U-Net), which denoises all 64 pixels at every step. "
    "The latent DDPM starts from the very draws $z_T$ that the prior column decodes directly (the same seed), so each "
    "of its digits is a prior digit carried onto $q(z)$ first. Quality is the digits classifier's mean confidence in "
    "its top class (a logistic regression fitted on the training digits, as every digits manifest records it).")
columns = st.columns(3)
for column, source in zip(columns, SOURCES):
    label = LABELS[source]
    g = grids[source]
    column.plotly_chart(common.digit_grid(g["x"], label, ncols=8), key=f"fig_latent_grid_{source}")
    q = g["quality"]
    column.metric("classifier confidence", f"{q['mean_confidence']:.3f} ± {q['confidence_se']:.3f}",
                  help=f"the mean over the {g['n']} digits ± its standard error; "
                       f"{100 * q['confident_fraction']:.0f} % of them labelled with confidence ≥ 0.9")
    column.metric("sampling time per digit", f"{1000 * g['seconds'] / g['n']:.2f} ms",
                  help=f"{g['seconds']:.3f} s for {g['n']} digits on {g['device']}")
    column.caption(g["how"])
recorded = latent_views.latent_pair(latent_dim).ddpm.manifest["quality"]
pixel = models.checkpoint("digits").manifest["quality"]
st.markdown(
    f"With {int(n)} digits a grid's confidence wobbles by about its ± standard error. On 500 digits each, as the "
    "manifests record them (training-time seeds), and on the 360 real test digits:\n\n"
    f"| | {LABELS['prior']} ({latent_dim}-D) | {LABELS['latent']} ({latent_dim}-D, Algorithm 2) | "
    f"{LABELS['pixel']} (DDIM, 50 steps) | real test digits |\n|---|---|---|---|---|\n"
    f"| classifier confidence | {recorded['prior']['mean_confidence']:.3f} | {recorded['mean_confidence']:.3f} | "
    f"{pixel['mean_confidence']:.3f} | {latent_views.real_digits_quality()['mean_confidence']:.3f} |\n"
    f"| share labelled with confidence ≥ 0.9 | {recorded['prior']['confident_fraction']:.0%} | "
    f"{recorded['confident_fraction']:.0%} | {pixel['confident_fraction']:.0%} | "
    f"{latent_views.real_digits_quality()['confident_fraction']:.0%} |")
st.caption("Times are wall-clock seconds of the sampling loop and the decoder on this machine, measured when first "
           "computed (a repeated setting comes from the cache); the prior and latent DDPM columns on a second run of "
           "the same size, since a first call sets up the decoder's kernels (5–50 ms, more than the prior's work).")
show_code(latent.sample_latent_ddpm, latent.decode_latents, latent.sample_prior,
          label="Show the code: sampling a latent DDPM and decoding")
show_code(vae_loss, sample_ddpm, sample_ddim, digit_quality, label="Show the code: the VAE's loss, the samplers, "
          "the quality figure")
