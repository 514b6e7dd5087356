"""Diffusion as a hierarchical VAE: DDPM is a Markovian hierarchical VAE with three restrictions (Luo 2022,
arXiv:2208.11970), each a switch here; the ELBO's terms become Ho et al.'s L_0, L_{t−1} and L_T (eq. 5), whose values
for a shipped model come from the ELBO page's cached bound."""
import streamlit as st

import reference
from lab_app.figures import mhvae as figures_mhvae
from lab_app.server import models
from lab_app.ui.progress import with_progress
from lab_app.ui.show_code import show_code
from lab_app.ui.widgets import pick_model
from lab_app.views import mhvae as mhvae_view, shared
from lab_app.views.mhvae import DEFAULTS

VARIANCES = {"fixed_large": "σ² = β", "fixed_small": "σ² = β̃"}
MAX_N = {"image": 64, "points": 2000}
KL = r"D_{\mathrm{KL}}"

st.title("Diffusion as a hierarchical VAE")
st.markdown(
    "Luo (2022, *Understanding Diffusion Models: A Unified Perspective*, arXiv:2208.11970) reads DDPM as a "
    "**Markovian hierarchical VAE** (MHVAE) with three restrictions. An MHVAE stacks latents $z_1, \\dots, z_T$: the "
    "decoder generates from the top down, each latent from the one above it, and the encoder infers them from the data "
    "up (Luo eqs. 23–24):")
st.latex(r"p(x, z_{1:T}) = p(z_T)\, p_\theta(x \mid z_1) \prod_{t=2}^{T} p_\theta(z_{t-1} \mid z_t), \qquad "
         r"q_\phi(z_{1:T} \mid x) = q_\phi(z_1 \mid x) \prod_{t=2}^{T} q_\phi(z_t \mid z_{t-1})")
st.markdown("Put both into the ELBO (Luo eq. 29) and group its terms as Luo does for the diffusion model (eqs. 36–45), "
            "writing $z_0 = x$:")
st.latex(r"\log p(x) \ge \underbrace{\mathbb{E}_{q_\phi(z_1 \mid x)}\big[\log p_\theta(x \mid z_1)\big]}"
         r"_{\text{reconstruction}} - \underbrace{\mathbb{E}_{q_\phi(z_{T-1} \mid x)}\big[" + KL +
         r"\big(q_\phi(z_T \mid z_{T-1}) \,\Vert\, p(z_T)\big)\big]}_{\text{prior matching}} + \sum_{t=1}^{T-1} "
         r"\underbrace{\mathbb{E}_{q_\phi(z_{t-1}, z_t, z_{t+1} \mid x)}\Big[\log \frac{p_\theta(z_t \mid z_{t+1})}"
         r"{q_\phi(z_t \mid z_{t-1})}\Big]}_{\text{consistency}}")
st.caption("Luo's eq. 45 writes each consistency term as an expected KL; as an identity the expectation runs over "
           "$z_{t-1}$, $z_t$ and $z_{t+1}$ together, since $z_{t+1}$ depends on $z_t$.")

# 1. Read the widgets.
a, b, c = st.columns([2, 1, 1])
name = pick_model(a, key="mhvae_model")
kind = "image" if shared.is_image_model(name) else "points"
n = int(b.number_input("held-out examples", value=DEFAULTS.n[kind], min_value=1, max_value=MAX_N[kind], step=1,
                       key=f"mhvae_n_{name}"))
variance = c.radio("reverse variance $\\sigma_t^2$", list(VARIANCES), index=list(VARIANCES).index(DEFAULTS.variance),
                   format_func=VARIANCES.get, horizontal=True,
                   key="mhvae_variance")
manifest = models.checkpoint(name).manifest
D = shared.held_out(name, 1)[0].size  # the data's dimensions: 2 for the toy sets, 8 × 8 = 64 for digits
what = "8×8 digits" if kind == "image" else f"2-D {manifest['data']} points"

st.subheader("Three restrictions, three switches")
st.markdown("Luo lists three restrictions that make the MHVAE a diffusion model. Switch them on one at a time:")
boxes = [st.container(border=True).columns([1, 2], gap="large") for _ in range(3)]
same_size = boxes[0][0].toggle("1. latent size = data size", key="mhvae_same_size")
fixed_encoder = boxes[1][0].toggle("2. a fixed linear-Gaussian encoder", key="mhvae_fixed_encoder")
gaussian_end = boxes[2][0].toggle(r"3. the final latent $\approx \mathcal{N}(0, I)$", key="mhvae_gaussian_end")
z, X = ("x", "x_0") if same_size else ("z", "x")  # the latents' and the data's symbols
q = "q" if fixed_encoder else r"q_\phi"

# 2.-3. The reference validates and computes (cached): the ELBO page's bound, and L_T in float64.
try:
    bound, _ = with_progress(shared.bound, name, n, variance, DEFAULTS.seed, label=f"{VARIANCES[variance]}: timesteps")
    prior = mhvae_view.prior_matching(name, n)
except ValueError as e:
    st.error(str(e))
    st.stop()

with boxes[0][1]:
    if same_size:
        st.markdown(f"$z_t$ becomes $x_t$ and $x$ becomes $x_0$: every latent has the data's size. For the {what}, "
                    f"$x_t \\in \\mathbb{{R}}^{{{D}}}$ for every $t = 0, \\dots, T$: the {manifest['T']} latents "
                    f"hold {manifest['T'] * D:,} numbers per example, no compression at all.")
    else:
        st.markdown(f"The latent $z_t$ may have any size $d_t$, smaller than the data's as in a compressing VAE, or "
                    f"larger. The data, {what}, have $D = {D}$ dimensions.")
with boxes[1][1]:
    if fixed_encoder and same_size:
        st.markdown("Each encoder step only scales the latent down and adds Gaussian noise (Luo eq. 33; Ho et al.'s "
                    "eq. 2 with $\\alpha_t = 1 - \\beta_t$):")
        st.latex(r"q(x_t \mid x_{t-1}) = \mathcal{N}\big(x_t;\ \sqrt{\alpha_t}\,x_{t-1},\ (1-\alpha_t) I\big)")
        st.markdown(f"**No encoder parameters $\\phi$**: only θ is trained, the {manifest['param_count']:,} weights "
                    "of one $\\epsilon_\\theta$ network shared by all $T$ steps. The encoder's reverse step has a "
                    "closed form (eqs. 6–7), so Bayes' rule (Luo eq. 46) turns the consistency terms into KLs between "
                    "two Gaussians, the denoising terms $L_{t-1}$ of eq. 5:")
        st.latex(r"q(x_{t-1} \mid x_t, x_0) = \mathcal{N}\big(x_{t-1};\ \tilde\mu_t(x_t, x_0),\ \tilde\beta_t I\big)")
        st.latex(r"L_{t-1} = " + KL + r"\big(q(x_{t-1} \mid x_t, x_0) \,\Vert\, p_\theta(x_{t-1} \mid x_t)\big)")
    elif fixed_encoder:
        st.latex(r"q(z_t \mid z_{t-1}) = \mathcal{N}\big(z_t;\ A_t z_{t-1},\ \Sigma_t\big)")
        st.markdown("with fixed matrices $A_t$ ($d_t \\times d_{t-1}$) and $\\Sigma_t$: **no encoder parameters "
                    "$\\phi$**. A linear-Gaussian chain still has a Gaussian reverse step $q(z_{t-1} \\mid z_t, x)$ in "
                    "closed form, so the consistency terms become KLs between Gaussians. DDPM's "
                    "$A_t = \\sqrt{\\alpha_t}\\, I$ needs restriction 1: $z_t$ must have $z_{t-1}$'s size.")
    else:
        st.markdown("$q_\\phi(z_t \\mid z_{t-1})$ is a network with parameters $\\phi$, trained with θ. Its reverse "
                    "step $q_\\phi(z_{t-1} \\mid z_t, x)$ has no closed form, so the consistency terms are estimated "
                    "by sampling three latents each, a high-variance estimate (Luo, after eq. 45).")
with boxes[2][1]:
    if gaussian_end:
        st.latex(r"q(" + z + r"_T \mid " + X + r") \approx \mathcal{N}(0, I) = p(" + z + r"_T)")
        text, metric = st.columns([2, 1])
        text.markdown(
            ("The prior-matching term has **no parameters** and is **≈ 0**." if fixed_encoder else
             "The prior-matching term is **≈ 0**: φ may only learn encoders whose last step reaches "
             "$\\mathcal{N}(0, I)$ from any $z_{T-1}$.")
            + f" DDPM's fixed encoder gets there with this model's {manifest['schedule']['name']} schedule, "
            f"$\\bar\\alpha_T$ = {prior['alpha_bar_T']:.3g}; its {n} held-out example{'s have' if n > 1 else ' has'} "
            f"$\\mathbb{{E}}[x_0^2]$ = {prior['second_moment']:.4g}.")
        metric.metric("$L_T$, bits/dim", f"{prior['closed_form']:.4g}",
                      help=f"`reference.terminal_signal` for these examples' second moment; `reference.prior_kl`, "
                           f"averaged over them, gives {prior['measured']:.4g}; data of unit variance would give "
                           f"{prior['unit_variance']:.4g}.")
    else:
        st.markdown(f"The top prior $p({z}_T) = \\mathcal{{N}}(0, I)$ is fixed, but nothing makes the encoder reach "
                    "it: the prior-matching term pulls $q$ towards it, like a VAE's KL term, and costs bits until "
                    "it does.")

# 4. The figure: the two graphical models.
st.plotly_chart(figures_mhvae.graphical_models(same_size, fixed_encoder, gaussian_end, D), key="fig_mhvae")
st.caption("Above the nodes the encoder (data to noise), below them the decoder (noise to data); solid arrows are "
           "learned, dashed ones fixed. The square is the prior. With all three switches on, the two "
           "models are the same.")

# The mapping: each term of the loss −ELBO, as the switches leave it, beside DDPM's term and its measured value.
st.subheader("Which ELBO term becomes which of DDPM's")
st.markdown("DDPM minimises the negative ELBO written as Ho et al.'s eq. 5 (Luo eq. 58, negated):")
st.latex(r"L = \mathbb{E}_q\Big[\underbrace{" + KL + r"\big(q(x_T \mid x_0) \,\Vert\, p(x_T)\big)}_{L_T} + \sum_{t>1} "
         r"\underbrace{" + KL + r"\big(q(x_{t-1} \mid x_t, x_0) \,\Vert\, p_\theta(x_{t-1} \mid x_t)\big)}_{L_{t-1}}"
         r"\ \underbrace{-\log p_\theta(x_0 \mid x_1)}_{L_0}\Big]")
if fixed_encoder:
    prior_now = KL + rf"\big(q({z}_T \mid {X}) \,\Vert\, p({z}_T)\big)"
    prior_note = "≈ 0, no parameters" if gaussian_end else "no parameters, but not ≈ 0"
    consistency_now = (rf"\sum_{{t=2}}^{{T}} \mathbb{{E}}_{{q({z}_t \mid {X})}}\big[" + KL +
                       rf"(q({z}_{{t-1}} \mid {z}_t, {X}) \,\Vert\, p_\theta({z}_{{t-1}} \mid {z}_t))\big]")
    consistency_note = "KLs between Gaussians, one sampled latent each; trains θ"
else:
    prior_now = (rf"\mathbb{{E}}_{{q_\phi({z}_{{T-1}} \mid {X})}}\big[" + KL +
                 rf"(q_\phi({z}_T \mid {z}_{{T-1}}) \,\Vert\, p({z}_T))\big]")
    prior_note = "≈ 0 by a constraint on φ" if gaussian_end else "trains φ"
    consistency_now = (rf"-\sum_{{t=1}}^{{T-1}} \mathbb{{E}}_{{q_\phi}}\Big[\log \frac{{p_\theta({z}_t \mid "
                       rf"{z}_{{t+1}})}}{{q_\phi({z}_t \mid {z}_{{t-1}})}}\Big]")
    consistency_note = "sampled, three latents each; trains θ and φ"
reconstruction_now = rf"-\mathbb{{E}}_{{{q}({z}_1 \mid {X})}}\big[\log p_\theta({X} \mid {z}_1)\big]"
reconstruction_note = "trains θ" if fixed_encoder else "trains θ and φ"
se = f" ± {bound['total_se']:.3g}" if bound["n"] > 1 else ""
rows = [("reconstruction", reconstruction_now, reconstruction_note, "L_0", f"{bound['reconstruction']:.4g}"),
        ("prior matching", prior_now, prior_note, "L_T", f"{bound['prior']:.4g}"),
        ("consistency → denoising", consistency_now, consistency_note, r"\sum_{t=2}^{T} L_{t-1}",
         f"{bound['denoising']:.4g}"),
        ("the whole bound", r"-\text{ELBO}", "", r"L", f"{bound['total']:.4g}{se}")]
count = sum((same_size, fixed_encoder, gaussian_end))
st.markdown(
    f"Each term of the loss −ELBO with {count} of the 3 restrictions on, beside DDPM's, measured for **{name}** "
    f"({VARIANCES[variance]}, {bound['n']} held-out example{'s' if bound['n'] > 1 else ''}):\n\n"
    f"| term | the MHVAE's, {count} of 3 restrictions on | what it trains, how it is estimated | DDPM's | "
    f"{name}, bits/dim |\n|---|---|---|---|---|\n"
    + "\n".join(f"| {label} | ${now}$ | {note} | ${ddpm}$ | {value} |" for label, now, note, ddpm, value in rows))
if count == 3:
    st.success("All three on: the MHVAE's loss is DDPM's L, term by term, and the numbers are the ELBO page's.")
else:
    st.info(f"{3 - count} restriction{'s' if count < 2 else ''} still off: the middle column is not yet DDPM's term. "
            "Only the totals of the two groupings are the same ELBO, whatever the switches.")
if f"{bound['prior']:.4g}" != f"{prior['closed_form']:.4g}":
    st.caption(f"The bound computes in the data's float32, too coarse for a term this small: its $L_T$ reads "
               f"{bound['prior']:.4g}; in float64 it is {prior['closed_form']:.4g} bits/dim (restriction 3).")
st.caption(f"The bound is the ELBO page's, from the same cache: all {manifest['T']} terms on {bound['n']} held-out "
           f"example{'s' if bound['n'] > 1 else ''}, $x_t$ drawn with seed {DEFAULTS.seed}, computed in "
           f"{bound['seconds']:.2f} s on {reference.device_name()}.")
show_code(reference.vlb_terms, reference.summarize_bound, reference.prior_matching, reference.terminal_signal)
