"""The "Diffusion as a hierarchical VAE" page (issue 13): the MHVAE's ELBO, three restrictions as switches, and the
mapping of its terms onto DDPM's L_0, L_{t−1} and L_T (Ho et al. eq. 5) with a shipped model's measured bound."""
import math

import pytest
import torch
from test_app import _keep_torch_threads, figure, open_page  # noqa: F401 (autouse fixture)

import reference
from lab_app.figures import mhvae as figures_mhvae
from reference.checkpoints import available_checkpoints, load_checkpoint
from reference.data import make_toy
from reference.data import TOY_HELDOUT_SEED

N = 16  # held-out points: fewer than the page's default, for speed
SWITCHES = ("mhvae_same_size", "mhvae_fixed_encoder", "mhvae_gaussian_end")
needs = {name: pytest.mark.skipif(name not in available_checkpoints(), reason=f"the {name} checkpoint is not shipped")
         for name in ("moons", "checkerboard", "digits")}


def table(at) -> dict[str, list[str]]:
    """The mapping table: row label -> its cells (the MHVAE's term now, its note, DDPM's term, the value)."""
    text = next(m.value for m in at.markdown if "| reconstruction |" in m.value)
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] not in ("term", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def held_out_toy(name: str) -> tuple[reference.Checkpoint, torch.Tensor]:
    """A shipped toy model on the CPU and the N held-out points the page uses."""
    ckpt = load_checkpoint(name, device="cpu")
    return ckpt, make_toy(ckpt.manifest["data"], N, seed=TOY_HELDOUT_SEED)


def encoder_traces(at) -> list[dict]:
    """The encoder's edge traces of the figure: the MHVAE's (left) first, DDPM's (right) second."""
    return [tr for tr in figure(at, "fig_mhvae")["data"] if tr.get("meta") == "encoder"]


@needs["moons"]
def test_the_numbers_are_the_bound_of_the_chosen_model():
    """Do the table's L_0, Σ L_{t−1}, L_T and total equal `summarize_bound` of the reference's bound on the same
    held-out points (σ² = β, seed 0), to the precision shown, with the MHVAE's equations rendered as LaTeX?"""
    at = open_page("mhvae", mhvae_n_moons=N)
    latex = " ".join(e.value for e in at.latex)
    assert r"p(x, z_{1:T}) = p(z_T)\, p_\theta(x \mid z_1) \prod_{t=2}^{T} p_\theta(z_{t-1} \mid z_t)" in latex
    assert r"q_\phi(z_{1:T} \mid x) = q_\phi(z_1 \mid x) \prod_{t=2}^{T} q_\phi(z_t \mid z_{t-1})" in latex
    assert r"_{\text{prior matching}}" in latex and r"_{L_{t-1}}" in latex  # the MHVAE's ELBO and Ho's eq. 5
    ckpt, x0 = held_out_toy("moons")
    summary = reference.summarize_bound(reference.vlb_terms(ckpt.model, x0, ckpt.schedule, variance="fixed_large"))
    rows = table(at)
    assert rows["reconstruction"][3] == f"{summary.reconstruction:.4g}"
    assert rows["consistency → denoising"][3] == f"{summary.denoising:.4g}"
    assert rows["prior matching"][3] == f"{summary.prior:.4g}"
    assert rows["the whole bound"][3] == f"{summary.total:.4g} ± {summary.total_se:.3g}"
    assert [r[2] for r in rows.values()] == ["$L_0$", "$L_T$", r"$\sum_{t=2}^{T} L_{t-1}$", "$L$"]
    at.radio(key="mhvae_variance").set_value("fixed_small").run()  # another variance: another cached bound
    assert not at.exception
    small = reference.summarize_bound(reference.vlb_terms(ckpt.model, x0, ckpt.schedule, variance="fixed_small"))
    assert table(at)["consistency → denoising"][3] == f"{small.denoising:.4g}" != rows["consistency → denoising"][3]


@needs["moons"]
def test_each_switch_changes_the_mapping_and_the_figure():
    """Does each restriction, switched on, change the MHVAE's terms in the table (z_t → x_t; q_φ → a fixed q whose
    consistency terms become KLs between Gaussians; the prior term ≈ 0) and the left graphical model, until all three
    make it DDPM's?"""
    at = open_page("mhvae", mhvae_n_moons=N)
    rows = table(at)
    assert r"q_\phi(z_1 \mid x)" in rows["reconstruction"][0] and rows["prior matching"][1] == "trains φ"
    left, right = encoder_traces(at)
    assert (left["name"], left["line"].get("dash")) == (figures_mhvae.LEARNED_ENCODER, None)
    assert (right["name"], right["line"]["dash"]) == (figures_mhvae.FIXED_ENCODER, "4px,3px")
    assert at.info and not at.success

    at.toggle(key="mhvae_same_size").set_value(True).run()
    rows = table(at)
    assert r"q_\phi(x_1 \mid x_0)" in rows["reconstruction"][0] and "z_" not in " ".join(r[0] for r in rows.values())
    assert any(r"x_t \in \mathbb{R}^{2}" in m.value for m in at.markdown)

    at.toggle(key="mhvae_fixed_encoder").set_value(True).run()
    rows = table(at)
    assert r"\phi" not in " ".join(r[0] for r in rows.values())
    assert r"q(x_{t-1} \mid x_t, x_0)" in rows["consistency → denoising"][0]
    assert rows["consistency → denoising"][1].startswith("KLs between Gaussians")
    assert rows["prior matching"][1] == "no parameters, but not ≈ 0"
    assert encoder_traces(at)[0]["name"] == figures_mhvae.FIXED_ENCODER
    assert any("No encoder parameters" in m.value and "14,850 weights" in m.value for m in at.markdown)

    at.toggle(key="mhvae_gaussian_end").set_value(True).run()
    assert not at.exception
    assert table(at)["prior matching"][1] == "≈ 0, no parameters"
    assert at.success and "All three on" in at.success[0].value and not at.info
    fig = figure(at, "fig_mhvae")
    assert fig["layout"]["annotations"][0]["text"] == "Markovian hierarchical VAE: 3 of 3 restrictions on"
    prior = [tr["name"] for tr in fig["data"] if tr.get("meta") == "prior"]
    assert prior == [figures_mhvae.PRIOR_ZERO] * 2  # the two models now match


@needs["moons"]
def test_a_fixed_encoder_without_same_size_latents_is_linear_gaussian():
    """With only restriction 2 on, is the encoder the general linear-Gaussian N(A_t z_{t−1}, Σ_t), still over z?"""
    at = open_page("mhvae", mhvae_n_moons=N, mhvae_fixed_encoder=True)
    assert any(r"A_t z_{t-1}" in e.value for e in at.latex)
    assert r"q(z_{t-1} \mid z_t, x)" in table(at)["consistency → denoising"][0]


@needs["checkerboard"]
def test_the_prior_term_shown_is_terminal_signal_and_prior_kl():
    """With restriction 3 on, is the L_T shown the reference's `terminal_signal` for the held-out points' E[x0²] and
    the mean of `prior_kl` over them (float64), and is the float32 bound's different rounding explained?"""
    at = open_page("mhvae", mhvae_model="checkerboard", mhvae_n_checkerboard=N, mhvae_gaussian_end=True)
    ckpt, x0 = held_out_toy("checkerboard")
    x0 = x0.double()
    second_moment = float(x0.pow(2).mean())
    closed_form = reference.terminal_signal(ckpt.schedule, second_moment).prior_bits_per_dim
    measured = float(reference.prior_kl(x0, ckpt.schedule).mean()) / (2 * math.log(2))
    metric = next(m for m in at.metric if m.label == "$L_T$, bits/dim")
    assert metric.value == f"{closed_form:.4g}" == f"{measured:.4g}"
    assert 1e-5 < closed_form < 1e-4  # the linear schedule's ᾱ_T = 4e-5 leaves a little signal
    assert any(f"{second_moment:.4g}" in m.value for m in at.markdown)
    shown = table(at)["prior matching"][3]
    if shown != metric.value:
        assert any("float32" in c.value and f"its $L_T$ reads {shown}" in c.value for c in at.caption)


@needs["digits"]
def test_digits_have_64_dimensions():
    """For the digits model, do the latents of restriction 1 and the figure's nodes have D = 64 dimensions?"""
    at = open_page("mhvae", mhvae_model="digits", mhvae_n_digits=1, mhvae_same_size=True)
    assert any(r"x_t \in \mathbb{R}^{64}" in m.value and "8×8 digits" in m.value for m in at.markdown)
    labels = next(tr for tr in figure(at, "fig_mhvae")["data"] if tr.get("meta") == "labels")
    assert labels["text"].count("D = 64") == 5  # every node but the ellipsis
    assert "±" not in table(at)["the whole bound"][3]  # one digit: no spread to measure


def test_prior_matching_agrees_both_ways_where_float32_does_not():
    """Does `reference.prior_matching` give L_T by `prior_kl` and by `terminal_signal` alike, in float64, for float32
    data and a cosine schedule's ᾱ_T ≈ 2e-9, where `prior_kl` in float32 reads 0?"""
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)) * 1.5  # float32, E[x0²] ≈ 2.25
    schedule = reference.Schedule.from_name("cosine", 1000)
    p = reference.prior_matching(x0, schedule)
    assert p.second_moment == pytest.approx(float(x0.double().pow(2).mean()), rel=1e-12)
    assert p.measured == pytest.approx(p.closed_form, rel=1e-6)
    assert p.closed_form == pytest.approx(0.5 * p.alpha_bar_T * p.second_moment / math.log(2), rel=1e-6)
    in_float32 = float(reference.prior_kl(x0, schedule).double().mean()) / (2 * math.log(2))
    assert p.negligible and abs(in_float32 - p.measured) > 0.1 * p.measured  # float32 cannot resolve 1 − 2e-9
