"""The network: the digits U-Net read off its module tree, its sinusoidal time embedding, and what its attention
layers and blocks compute for one held-out digit at a chosen t."""
import pandas as pd
import streamlit as st

import reference
from lab_app.figures import network as figures_network
from lab_app.server import models
from lab_app.ui.fragments import fragment
from lab_app.ui.show_code import show_code
from lab_app.views import network as network_view
from lab_app.views.network import DEFAULTS, MODEL
from reference.nets import network
from reference.checkpoints import available_checkpoints
from reference.nets.unet import SelfAttention

FEATURE_MAPS = 8  # feature maps shown per block, the strongest first


def count(n: int) -> str:
    """701345 -> '701 345'."""
    return f"{n:,}".replace(",", " ")


def side(shape) -> str:
    """(64, 4, 4) -> '64×4×4'."""
    return "×".join(map(str, shape))


st.title("The network")
st.markdown(
    r"$\varepsilon_\theta(x_t, t)$ for the digits is a small U-Net after Ho et al. (2020, §4 and Appendix B): "
    "ResNet blocks with group normalisation, the timestep's embedding added inside every block, self-attention at "
    "the lowest resolution, and skip connections from the way down to the way up. Everything below is read off "
    f"the shipped `{MODEL}` checkpoint: the blocks from its module tree, their shapes from forward hooks on one pass.")

if MODEL not in available_checkpoints():
    st.error(f"The {MODEL!r} checkpoint is not shipped in reference/weights/.")
    st.stop()

# 1.-3. Nothing to read for the architecture: the cached description of the model.
arch = network_view.network_blocks(MODEL)
blocks, total = arch["blocks"], arch["total"]
by_name = {b["name"]: b for b in blocks}
spatial = [b for b in blocks if len(b["out_shape"]) == 3]
attention_blocks = [b["name"] for b in blocks if b["attention"]]

st.subheader("The blocks")
columns = st.columns(4)
columns[0].metric("parameters", count(total), help="reference.nets.models.count_parameters(model)")
columns[1].metric("blocks", len(blocks), help="the model's top-level modules, ModuleLists opened, in forward order")
columns[2].metric("self-attention blocks", len(attention_blocks),
                  help="at " + ", ".join(sorted({side(by_name[n]["out_shape"][1:]) for n in attention_blocks})))
columns[3].metric("resolutions", " → ".join(dict.fromkeys(side(b["out_shape"][1:]) for b in spatial)))
# 4. Figures.
st.plotly_chart(figures_network.unet_diagram(blocks), key="fig_unet")
st.caption("Columns run in the order the forward pass calls the blocks; rows are resolutions. Each box gives the "
           "block's output channels × height × width and its parameters. A green arc joins the block whose output "
           "an up block concatenates to its input along the channels (found by comparing values in the pass, not "
           "written down). Hover over a box for its input shape.")
table = pd.DataFrame({
    "block": [b["name"] for b in blocks],
    "kind": [b["kind"] for b in blocks],
    "input": [side(b["in_shape"]) for b in blocks],
    "output": [side(b["out_shape"]) for b in blocks],
    "skip from": [b["skip_from"] or "" for b in blocks],
    "parameters": [b["params"] for b in blocks],
    "of which attention": [b["attention_params"] for b in blocks],
    "share": [f"{100 * b['params'] / total:.1f} %" for b in blocks],
})
st.dataframe(table, hide_index=True, height=36 * (len(blocks) + 1) + 3, key="network_table")  # every row, no scroll
manifest_count = models.checkpoint(MODEL).manifest["param_count"]
st.caption(f"The blocks' parameters add up to {count(sum(b['params'] for b in blocks))}; "
           f"`count_parameters(model)` gives {count(total)} and the checkpoint's manifest records "
           f"{count(manifest_count)}.")
st.markdown("What each kind of block computes:\n\n"
            + "\n".join(f"- **{k}**: {v}" for k, v in network.KIND_NOTES.items()))
st.markdown("Inside a ResBlock, with $e(t)$ the time MLP's output, and a self-attention layer over the $N = H W$ "
            "positions of its input $x$ ($C$ channels, GN: group normalisation):")
st.latex(r"h = \mathrm{conv}(\mathrm{SiLU}(\mathrm{GN}(x))) + W\,\mathrm{SiLU}(e(t)),\qquad "
         r"\mathrm{ResBlock}(x) = \mathrm{skip}(x) + \mathrm{conv}(\mathrm{SiLU}(\mathrm{GN}(h)))")
st.latex(r"Q, K, V = W_{qkv}\,\mathrm{GN}(x),\qquad A = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{C}}\Big)"
         r"\in \mathbb{R}^{N \times N},\qquad \mathrm{Attn}(x) = x + W_o\,A V")
show_code(network.describe_unet, network.top_level_blocks, reference.UNet)

st.subheader("The time embedding")
emb = network_view.time_embedding(MODEL)
T, D = emb.shape
st.markdown(f"The network learns one function for all $T = {T}$ steps and is told which step by an embedding of "
            f"$t$: the Transformer's sinusoidal position encoding (Vaswani et al. 2017, §3.5), here with $d = {D}$ "
            "dimensions, sines first and cosines after, as in Ho et al.'s code. It embeds the code's index "
            r"$t - 1$ (the paper's $t$ on the axis below):")
st.latex(r"\mathrm{emb}(t)_k = \sin\big((t-1)\,\omega_k\big),\quad \mathrm{emb}(t)_{d/2+k} = \cos\big((t-1)\,"
         r"\omega_k\big),\quad \omega_k = 10000^{-k/(d/2-1)},\quad k = 0, \dots, d/2 - 1")
st.plotly_chart(figures_network.embedding_heatmap(emb), key="fig_embedding")
st.caption(f"Dimension 0 turns once every 2π ≈ 6.3 steps; dimension {D // 2 - 1} has $\\omega = 10^{{-4}}$, so over "
           f"{T} steps its sine barely leaves 0 and its cosine 1. The fast dimensions tell neighbouring steps apart, "
           f"the slow ones early from late. The time MLP (Linear → SiLU → Linear) turns these {D} numbers into the "
           f"{by_name['time_mlp']['out_shape'][0]} that every ResBlock adds.")
show_code(reference.nets.models.timestep_embedding, network.embedding_table)


@fragment
def inside(T: int) -> None:
    """One held-out digit at one t, looked inside: a fragment, so that moving t, the query or the block reruns this
    part only (each new digit, t and seed is one pass of the model, cached)."""
    st.subheader("Inside, for one digit at one t")
    st.markdown(r"A held-out digit $x_0$ is noised to $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,"
                r"\varepsilon$ (eq. 4) and passed through the network once; from its $\varepsilon_\theta$ comes "
                r"$\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}$ (eq. 15).")
    # 1. Read the widgets.
    a, b, c = st.columns([1, 1, 4])
    n_test = len(models.digits_split().x_test)
    index = int(a.number_input("held-out digit", value=DEFAULTS.digit, min_value=0, max_value=n_test - 1, step=1,
                               key="network_digit"))
    seed = int(b.number_input("seed (ε)", value=DEFAULTS.seed, min_value=0, step=1, key="network_seed"))
    t = c.slider("t (paper's; code's index is t − 1)", 1, T, min(DEFAULTS.t, T), key=f"network_t_{T}")
    # 2.-3. The reference checks t; the pass is cached by (digit, code t, seed).
    try:
        r = network_view.network_inside(MODEL, index, t - 1, seed, FEATURE_MAPS)
    except ValueError as e:
        st.error(str(e))
        st.stop()
    m = st.columns(4)
    m[0].metric("digit", r["label"])
    m[1].metric("ᾱ_t", f"{r['alpha_bar']:.4f}")
    m[2].metric("‖ε − ε_θ‖² / D", f"{r['loss']:.4f}", help="L_simple (eq. 14) for this one draw")
    m[3].metric("t (paper's)", t)
    eps_pred = "ε<sub>θ</sub>(x<sub>t</sub>, t)"
    st.plotly_chart(figures_network.digit_views(
        {"x<sub>0</sub>": r["x0"], f"x<sub>t</sub>, t = {t}": r["x_t"], "ε": r["eps"], eps_pred: r["eps_pred"],
         "x̂<sub>0</sub> (eq. 15)": r["x0_pred"]}, noise_keys=("ε", eps_pred)), key="fig_digit_views")
    st.caption("Gray spans [−1, 1] (x̂0 beyond it saturates); red-blue spans ε's [−3, 3].")

    st.markdown("**Self-attention.** Row $p$ of $A$ says how much position $p$ (the query) takes from every position "
                "(the keys); each row sums to 1. Positions count row by row, $p = \\text{row}\\cdot w + "
                "\\text{column}$, on the block's own grid, each cell covering a patch of the 8×8 image.")
    a, b = st.columns([1, 2])
    block = a.selectbox("attention block", list(r["attention"]), key="network_attention_block")
    weights = r["attention"][block]  # (N, N)
    h, w = by_name[block]["out_shape"][1:]
    p = b.select_slider("query position p = row·w + column", list(range(h * w)),
                        value=max(h // 2 - 1, 0) * w + max(w // 2 - 1, 0),
                        format_func=lambda q: f"{q}: row {q // w}, column {q % w}", key=f"network_query_{h}x{w}")
    st.plotly_chart(figures_network.attention_views(r["x_t"], weights, (h, w), divmod(p, w), block),
                    key="fig_attention")
    st.caption(f"This query's weights sum to {weights[p].sum():.6f}; its largest is {weights[p].max():.3f} (uniform "
               f"would be 1/{h * w} = {1 / (h * w):.3f}).")
    show_code(SelfAttention.attention_weights, network.capture)

    st.markdown(f"**Feature maps.** A block's output channels, the {FEATURE_MAPS} that vary most over the image "
                "first (largest standard deviation), each scaled to its own largest |value|.")
    names = list(r["features"])
    first = names.index(DEFAULTS.feature_block) if DEFAULTS.feature_block in names else 0
    block = st.selectbox("block", names, index=first, key="network_feature_block")
    channels = r["strongest"][block]
    st.plotly_chart(figures_network.feature_maps(r["features"][block][channels], channels, block),
                    key="fig_features")
    shape = side(r["features"][block].shape)
    st.caption(f"{block} ({by_name[block]['kind']}) outputs {shape} (channels × height × width).")
    show_code(network.strongest_channels)


inside(models.checkpoint(MODEL).schedule.T)
