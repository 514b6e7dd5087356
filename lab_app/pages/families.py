"""VAE, GAN, flow and diffusion on the same data: samples side by side, and measured likelihood, quality and cost."""
import pandas as pd
import streamlit as st

from lab_app.figures import families as figures_families
from lab_app.ui.show_code import show_code
from lab_app.views import families as families_view, shared
from lab_app.views.families import DEFAULTS
from reference.families import comparison as families
from reference.families.flow import RealNVP, dequantized_log_prob
from reference.families.gan import discriminator_loss, generator_loss
from reference.families.vae import importance_weighted_log_likelihood, vae_loss

DATA = {"moons": "2-D moons", "digits": "8×8 digits"}
NAMES = {"vae": "VAE", "gan": "GAN", "flow": "flow", "diffusion": "diffusion"}
MAX_N = {"moons": 2000, "digits": 128}

st.title("VAE, GAN, flow and diffusion")
st.markdown(
    "Four ways to define a distribution $p(x)$ and draw from it, each trained on the **same data** by the lab's own "
    "seeded command (`python -m reference.training.families`, and `reference.training` for diffusion):")
st.latex(r"\underbrace{\int p_\theta(x \mid z)\,p(z)\,dz}_{\text{VAE}} \qquad "
         r"\underbrace{x = G(z),\; z \sim \mathcal N(0, I)}_{\text{GAN}} \qquad "
         r"\underbrace{\mathcal N(f(x); 0, I)\,\Big|\det \tfrac{\partial f}{\partial x}\Big|}_{\text{flow}} \qquad "
         r"\underbrace{\int p(x_T) \prod_{t=1}^{T} p_\theta(x_{t-1} \mid x_t)\,dx_{1:T}}_{\text{diffusion}}")
st.markdown(
    "The flow's change of variables (Dinh et al. 2017, eq. 3) gives $\\log p(x)$ **exactly**; the VAE "
    "(Kingma & Welling 2014, eq. 10) and diffusion (Ho et al. 2020, eq. 5) give a lower **bound**, the ELBO; the "
    "GAN (Goodfellow et al. 2014) gives **none**: its $p(x)$ is only the law of $G(z)$.")

# 1. Read the widgets.
a, b, c, d = st.columns([2, 1, 1, 2])
data = a.radio("Data", list(DATA), index=list(DATA).index(DEFAULTS.data), format_func=DATA.get, horizontal=True,
               key="families_data")
n = b.number_input("samples per family", value=DEFAULTS.n[data], min_value=1, max_value=MAX_N[data], step=1,
                   key=f"families_n_{data}")
seed = c.number_input("seed", value=DEFAULTS.seed, min_value=0, step=1, key="families_seed")
diffusion_sampler = d.radio("Diffusion sampler", list(families_view.DIFFUSION_SAMPLERS),
                            index=list(families_view.DIFFUSION_SAMPLERS).index(DEFAULTS.diffusion_sampler),
                            horizontal=True,
                            key="families_sampler")

# 2.-3. Cached computations (the heavy numbers come precomputed in the manifests).
try:
    with st.spinner(f"{int(n)} samples of each family"):
        drawn = families_view.samples(data, int(n), int(seed), diffusion_sampler)
    rows = families_view.measured(data)
except (ValueError, FileNotFoundError) as err:
    st.error(str(err))
    st.stop()

# 4. Figures and tables.
st.header("Samples, side by side")
shown = {NAMES[f]: drawn[f]["x0"] for f in NAMES}
if data == "digits":
    st.plotly_chart(figures_families.digit_samples(shown), key="fig_family_samples")
    st.caption("The VAE shows its decoder means μ_θ(z), z ~ N(0, I); the others their samples. "
               f"All from seed {int(seed)}; diffusion by {diffusion_sampler}, x̂0 clipped to [−1, 1].")
else:
    st.plotly_chart(figures_families.toy_samples(shown, shared.held_out(data, 2000)), key="fig_family_samples")
    st.caption(f"Over 2000 held-out points (gray). The VAE draws x ~ p_θ(x | z) with its learned σ. All from seed "
               f"{int(seed)}; diffusion by {diffusion_sampler}.")

st.header("Measured, in the same units")
quality_columns = (["classifier confidence"] if data == "digits" else ["sliced W₁", "on support"])
table = pd.DataFrame([
    {"family": NAMES[f], "bits/dim": r["bits/dim"], "which": r["likelihood"], "IW bound": r["iw bits/dim"],
     **{k: r[k] for k in quality_columns}, "ms / sample": 1e3 * drawn[f]["seconds_per_sample"],
     "passes / sample": r["passes"], "parameters": r["parameters"]} for f, r in rows.items()])
st.dataframe(table, hide_index=True, key="families_table",
             column_config={"bits/dim": st.column_config.NumberColumn(format="%.3f", help="−log p (or −log P) of "
                                                                       "the held-out data, bits per dimension"),
                            "which": st.column_config.TextColumn(help="exact, an upper bound, or none"),
                            "IW bound": st.column_config.NumberColumn(
                                format="%.3f", help="the VAE's importance-weighted bound, 256 draws"),
                            "sliced W₁": st.column_config.NumberColumn(format="%.3f"),
                            "on support": st.column_config.NumberColumn(format="percent"),
                            "classifier confidence": st.column_config.NumberColumn(format="%.3f"),
                            "ms / sample": st.column_config.NumberColumn(format="%.3g",
                                                                         help="sampling time, measured on this page")})
st.markdown(
    f"**Bits/dim** on the same held-out data: {rows['flow']['bits_per_dim_data']} (diffusion: "
    f"{rows['diffusion']['bits_per_dim_data']}). Lower is better; *exact* is −log p itself, *bound* an upper bound "
    "on it (a lower bound on log p). "
    + ("On the digits every number is −log P of the data's 8-bit bins: the flow's by uniform dequantisation "
       "(E_u log p(x + u) + D log Δ ≤ log P(x)), the VAE's ELBO through a discretised decoder, diffusion's through "
       "the discrete decoder of Ho et al. eq. 13. "
       if data == "digits" else "On the toy every number is −log p of a density, bits per coordinate. ")
    + "The VAE's importance-weighted bound (Burda et al. 2016, 256 draws) is tighter than its ELBO. "
    "**Quality** is the manifests' figure: "
    + ("the digits classifier's mean confidence on 500 samples (the diffusion model's by DDIM, 50 steps). "
       if data == "digits" else "2000 samples' sliced Wasserstein distance to the held-out points and their share "
       "on the data's support (diffusion by DDPM, 1000 steps). ")
    + f"**Time** is measured on this page, for the {int(n)} samples above.")

st.plotly_chart(figures_families.time_bars({NAMES[f]: drawn[f]["seconds_per_sample"] for f in NAMES}),
                key="fig_family_time")
fastest = min(drawn[f]["seconds_per_sample"] for f in families.FAMILIES)
st.caption(f"Diffusion ({diffusion_sampler}) took {drawn['diffusion']['seconds_per_sample'] / fastest:,.0f}× the "
           "time per sample of the fastest other family here.")

st.header("What each family specifies")
spec = pd.DataFrame([
    {"family": NAMES[f], "latent variables": families.LATENT_VARIABLES[f], "p(x) it induces": families.P_X[f],
     "likelihood": (f"{r['likelihood']}: {r['bits/dim']:.3f} bits/dim" if r["bits/dim"] is not None else "none"),
     "sampling cost": f"{r['passes']} network pass{'es' if r['passes'] > 1 else ''} "
                      f"({1e3 * drawn[f]['seconds_per_sample']:.3g} ms per sample)"}
    for f, r in rows.items()])
st.table(spec.set_index("family"))
st.caption(f"Diffusion's sampling cost counts Algorithm 2's T = {rows['diffusion']['passes']} passes; "
           "DDIM uses 50 of them. The measured time is for the sampler chosen above.")
with st.expander("The training commands (from the manifests)"):
    for f, r in rows.items():
        st.code(r["command"], language="bash")
show_code(RealNVP.log_prob, dequantized_log_prob, vae_loss, importance_weighted_log_likelihood, discriminator_loss,
          generator_loss, families.heldout_bits_per_dim, label="Show the code: each family's likelihood and losses")
