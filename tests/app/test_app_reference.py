"""The reference functions the lab's pages added: log-SNR, the prior term's size, the bound's summary, the eq. 12
weight relative to L_simple (reference/diffusion/inspection.py), and schedule files in and out (reference/diffusion/schedule_io.py)."""
import io
import json
import math

import numpy as np
import pytest
import torch

import reference
from reference import Schedule, VLBTerms


def test_log_snr_is_log_of_the_schedules_snr():
    """Is log_snr log(ᾱ/(1 − ᾱ)), and −inf where a zero-terminal-SNR schedule ends at ᾱ_T = 0?"""
    s = Schedule.from_name("cosine", 1000)
    torch.testing.assert_close(reference.log_snr(s), torch.log(s.snr), rtol=1e-10, atol=1e-10)
    zero = Schedule.from_name("linear", 100, zero_terminal_snr=True)
    out = reference.log_snr(zero)
    assert out[-1] == -math.inf and torch.isfinite(out[:-1]).all()


def test_terminal_signal_matches_prior_kl_on_unit_variance_data():
    """Does the closed-form L_T agree with reference.prior_kl on 200 000 draws of N(0, 1) data?"""
    s = Schedule.from_betas(torch.full((100,), 1e-3, dtype=torch.float64))  # ᾱ_T = 0.999¹⁰⁰ ≈ 0.905
    x0 = torch.randn(200_000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    monte_carlo = float(reference.prior_kl(x0, s).mean()) / math.log(2)
    end = reference.terminal_signal(s)
    assert end.alpha_bar_T == pytest.approx(0.999**100, rel=1e-12)
    assert end.prior_bits_per_dim == pytest.approx(monte_carlo, rel=5e-3)
    assert not end.negligible


def test_terminal_signal_threshold():
    """Is L_T negligible for Ho et al.'s linear schedule (ᾱ_T ≈ 4e-5) and not for a β list that stops early?"""
    linear = reference.terminal_signal(Schedule.from_name("linear", 1000))
    assert linear.negligible and linear.prior_bits_per_dim < reference.PRIOR_NEGLIGIBLE_BITS
    assert linear.alpha_bar_T == pytest.approx(4.04e-5, rel=1e-2)
    assert not reference.terminal_signal(reference.parse_betas("0.01 0.02 0.05")).negligible


def test_summarize_bound_reduces_each_term_over_the_batch():
    """Are per-term means, the running sum, the total and the three-way split consistent with VLBTerms?"""
    g = torch.Generator().manual_seed(1)
    vlb = VLBTerms(prior=torch.rand(5, generator=g), terms=torch.rand(5, 7, generator=g), dims=3)
    out = reference.summarize_bound(vlb)
    bits = 1 / (3 * math.log(2))
    assert out.per_term.shape == (8,)
    assert float(out.per_term[0]) == pytest.approx(float(vlb.terms[:, 0].mean()) * bits, rel=1e-6)
    assert float(out.per_term[-1]) == pytest.approx(float(vlb.prior.mean()) * bits, rel=1e-6)
    assert out.total == pytest.approx(float(vlb.bits_per_dim(vlb.total).mean()), rel=1e-6)
    assert float(out.cumulative[-1]) == pytest.approx(out.total, rel=1e-12)
    assert out.reconstruction + out.denoising + out.prior == pytest.approx(out.total, rel=1e-12)
    assert out.denoising == pytest.approx(float(vlb.terms[:, 1:].mean(0).sum()) * bits, rel=1e-6)


def test_eps_weight_over_simple():
    """Is it D times the eq. 12 weight, equal to 1/(2α_t)·β_t/(1 − ᾱ_{t−1})·D for σ² = β̃ at t ≥ 1?"""
    s = Schedule.from_name("linear", 50)
    w = reference.eps_weight_over_simple(s, "fixed_small", 64)
    torch.testing.assert_close(w, 64 * reference.eps_weight(s, "fixed_small"))
    # σ² = β̃ = β(1 − ᾱ_{t−1})/(1 − ᾱ_t), so β²/(2σ²α(1 − ᾱ)) = β/(2α(1 − ᾱ_{t−1}))
    expected = 64 * s.betas[1:] / (2 * s.alphas[1:] * (1 - s.alpha_bar_prev[1:]))
    torch.testing.assert_close(w[1:], expected, rtol=1e-10, atol=0)
    with pytest.raises(ValueError, match="dims must be at least 1; got 0"):
        reference.eps_weight_over_simple(s, "fixed_small", 0)


@pytest.mark.parametrize("text", ["0.1, 0.2, 0.3", "0.1 0.2 0.3", "[0.1; 0.2;\n0.3]", " 1e-1,2e-1 , 3e-1 "])
def test_parse_betas_accepts_common_separators(text):
    """Do commas, spaces, semicolons, new lines and brackets all read as the same three β?"""
    torch.testing.assert_close(reference.parse_betas(text).betas, torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64))


@pytest.mark.parametrize("text, message", [
    ("0.1, x2", "could not read 'x2' at the paper's t = 2 (code's index 1) as a number"),
    ("", "no β values found"),
    ("1.0 0.5", "only the last β may be 1; got 1 at the paper's t = 1 (code's index 0) of T = 2"),
    ("-0.1", "betas must lie in (0, 1), the last in (0, 1]; got -0.1 at the paper's t = 1 (code's index 0)"),
    ("nan", "betas must not be NaN; got NaN at the paper's t = 1 (code's index 0)"),
])
def test_parse_betas_names_the_bad_item(text, message):
    """Is every unreadable or out-of-range β named in the error?"""
    with pytest.raises(ValueError) as e:
        reference.parse_betas(text)
    assert message in str(e.value)


def test_schedule_files_round_trip():
    """Do the npz and JSON files, and a plain .txt list, load back into the same β_t?"""
    s = Schedule.from_name("sigmoid", 300)
    npz = reference.schedule_to_npz(s)
    assert torch.equal(reference.load_schedule(npz, "my.npz").betas, s.betas)
    with np.load(io.BytesIO(npz)) as f:
        np.testing.assert_array_equal(f["alpha_bar"], s.alpha_bar.numpy())
    saved = json.loads(reference.schedule_to_json(s))
    assert saved["T"] == 300 and saved["name"] == "sigmoid"
    assert torch.equal(reference.load_schedule(json.dumps(saved).encode(), "my.json").betas, s.betas)
    assert reference.load_schedule(b"0.1\n0.2\n", "b.txt").T == 2
    assert reference.load_schedule(b"[0.3, 0.4]", "b.json").name == "b"


def test_schedule_file_from_a_path(tmp_path):
    """Does load_schedule read a path as the notebook would?"""
    path = tmp_path / "linear.npz"
    path.write_bytes(reference.schedule_to_npz(Schedule.from_name("linear", 100)))
    assert torch.equal(reference.load_schedule(path).betas, Schedule.from_name("linear", 100).betas)


@pytest.mark.parametrize("data, name, message", [
    (b"0.1", "b.pdf", "must end in one of .npz, .json, .txt, .csv"),
    (b"not a zip", "b.npz", "could not read b.npz as an .npz file"),
    (b"{", "b.json", "could not read b.json as JSON"),
    (b'{"alpha": [0.1]}', "b.json", "must hold a list of β values"),
    (b'{"betas": [0.1, "x"]}', "b.json", "every entry of 'betas' must be a number"),
    (b'{"betas": [0.1, 2]}', "b.json", "betas must lie in (0, 1), the last in (0, 1]; got 2 at the paper's t = 2"),
    (b"0.1 1 0.2", "b.txt", "only the last β may be 1; got 1 at the paper's t = 2 (code's index 1) of T = 3"),
    (b'{"betas": [1, 0.5]}', "b.json", "only the last β may be 1; got 1 at the paper's t = 1 (code's index 0)"),
])
def test_bad_schedule_files_raise_value_errors(data, name, message):
    """Does every unreadable file give a ValueError that says what is wrong, never another exception?"""
    with pytest.raises(ValueError) as e:
        reference.load_schedule(data, name)
    assert message in str(e.value)


def test_npz_without_betas():
    """Does an .npz without a `betas` array say which arrays it holds?"""
    buf = io.BytesIO()
    np.savez(buf, alpha=np.ones(3))
    with pytest.raises(ValueError, match=r"has no array named 'betas'; it holds \['alpha'\]"):
        reference.load_schedule(buf.getvalue(), "b.npz")
