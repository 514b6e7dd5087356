"""Do the lab's pages run, draw what the reference computes, and answer bad input with a message, not a traceback?

Streamlit's AppTest runs streamlit_app.py in-process; each test switches to one page, changes widgets and reads
the plotly figures' data back. Batches are kept small so that the whole file runs in well under a minute.
"""
import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import reference
from reference.checkpoints import available_checkpoints, load_checkpoint
from reference.data import make_toy
from reference.data import TOY_HELDOUT_SEED

ROOT = Path(__file__).resolve().parents[2]

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
CHECKPOINTS = available_checkpoints()
needs_moons = pytest.mark.skipif("moons" not in CHECKPOINTS, reason="the moons checkpoint is not shipped")
needs_digits = pytest.mark.skipif("digits" not in CHECKPOINTS, reason="the digits checkpoint is not shipped")


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """The app sets torch's thread count for the whole process; give the other test files theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def open_page(page: str | None, **state) -> AppTest:
    """The app, switched to lab_app/pages/<page>.py (home when None), with session state preset, after one run."""
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    if page is not None:
        at.switch_page(f"lab_app/pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def figure(at: AppTest, key: str) -> dict:
    """The plotly figure drawn with `key`, as the JSON the browser receives."""
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, f"expected one chart {key!r}; found ids {[c.proto.id for c in at.get('plotly_chart')]}"
    return json.loads(charts[0].proto.spec)


def y_of(trace: dict) -> np.ndarray:
    """A trace's y values, decoded from plotly's typed-array JSON when needed."""
    y = trace["y"]
    if isinstance(y, dict):  # {"dtype": "f8", "bdata": base64}
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.array([np.nan if v is None else v for v in y], dtype=np.float64)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


# --- home -------------------------------------------------------------------------------------------------------


def test_home_links_every_page_and_names_the_device():
    """Does the home page link every page of the router and the notebook, and the sidebar name the device?"""
    at = open_page(None)
    pages = {Path(p).stem for p in re.findall(r'st\.Page\("([^"]+)"', (ROOT / "streamlit_app.py").read_text())}
    assert {link.proto.page for link in at.get("page_link")} == pages - {"home"}
    assert any("ddpm_core.ipynb" in m.value for m in at.markdown)
    assert any(reference.device_name() in c.value for c in at.sidebar.caption)


# --- schedule design --------------------------------------------------------------------------------------------


def panel(fig: dict, name: str) -> list[dict]:
    """The traces of the schedule figure that draw the array `name` (their `meta`), one per schedule."""
    return [tr for tr in fig["data"] if tr.get("meta") == name]


def test_schedule_page_plots_the_reference_coefficients():
    """Do β_t, ᾱ_t, √ᾱ_t, √(1 − ᾱ_t) and log-SNR on the page equal the reference's, linear and cosine?"""
    at = open_page("schedule")
    linear, cosine = reference.Schedule.from_name("linear", 1000), reference.Schedule.from_name("cosine", 1000)
    fig = figure(at, "fig_schedules")
    betas = panel(fig, "betas")
    assert [tr["name"] for tr in betas] == ["1: linear (T=1000)", "2: cosine (T=1000)"]
    np.testing.assert_allclose(y_of(betas[0]), linear.betas.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y_of({"y": betas[0]["x"]}), np.arange(1, 1001))  # the paper's t
    np.testing.assert_allclose(y_of(panel(fig, "alpha_bar")[1]), cosine.alpha_bar.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y_of(panel(fig, "log_snr")[0]), reference.log_snr(linear).numpy(), rtol=1e-9)
    signal, noise = panel(fig, "sqrt_alpha_bar")[1], panel(fig, "sqrt_one_minus_alpha_bar")[1]
    np.testing.assert_allclose(y_of(signal) ** 2 + y_of(noise) ** 2, 1.0, atol=1e-12)
    assert fig["layout"]["yaxis"]["type"] == "log"  # β_t spans four decades
    assert not at.warning  # both default schedules end with ᾱ_T ≈ 0


def test_schedule_widgets_change_the_figures():
    """Do T, β_T, a third schedule and t reach the figures?"""
    at = open_page("schedule")
    at.number_input(key="T_0").set_value(200)
    at.number_input(key="beta_end_0").set_value(0.05)
    at.radio(key="schedule_count").set_value(3)
    at.run()
    assert not at.exception
    betas = panel(figure(at, "fig_schedules"), "betas")
    assert len(betas) == 3 and len(y_of(betas[0])) == 200
    assert y_of(betas[0])[-1] == pytest.approx(0.05)
    assert betas[2]["name"] == "3: quadratic (T=1000)"
    noised = figure(at, "fig_noised")
    assert [a["text"] for a in noised["layout"]["annotations"]] == [
        "1: linear (T=200), t = 200", "2: cosine (T=1000), t = 250", "3: quadratic (T=1000), t = 250"]
    assert [tr["name"] for tr in noised["data"][:3]] == ["x0", "x_t", "digits x_t"]
    before = noised["data"][4]["x"]  # x_t of the cosine schedule
    at.slider(key="t_1000").set_value(900).run()
    assert not at.exception
    noised = figure(at, "fig_noised")
    assert [a["text"] for a in noised["layout"]["annotations"]][:2] == [
        "1: linear (T=200), t = 200", "2: cosine (T=1000), t = 900"]  # T = 200 stops at its own T
    assert noised["data"][4]["x"] != before


def test_noised_data_is_q_sample():
    """Is the scatter at t the reference's diffuse (eq. 4) of the data, with the page's seeded ε?"""
    at = open_page("schedule")
    at.slider(key="t_1000").set_value(300).run()
    fig = figure(at, "fig_noised")
    x0, x_t = ([np.stack([y_of({"y": tr["x"]}), y_of(tr)], 1) for tr in fig["data"][:2]])
    np.testing.assert_allclose(x0, make_toy("moons", len(x0), seed=0).numpy())
    linear = reference.Schedule.from_name("linear", 1000).to(dtype=torch.float32)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    expected = reference.diffuse(torch.from_numpy(x0), 299, eps, linear.alpha_bar)  # the paper's t = 300 is code's 299
    np.testing.assert_allclose(x_t, expected.numpy(), rtol=1e-5, atol=1e-6)
    assert fig["data"][2]["type"] == "heatmap"


def test_custom_list_warns_when_alpha_bar_T_is_far_from_zero():
    """Does a short custom β list draw, and warn with ᾱ_T and L_T that the prior term is not negligible?"""
    at = open_page("schedule")
    at.selectbox(key="kind_1").set_value("custom β list").run()
    at.text_area(key="betas_1").set_value("0.01 0.02, 0.05; 0.1").run()
    assert not at.exception and not errors(at)
    np.testing.assert_allclose(y_of(panel(figure(at, "fig_schedules"), "betas")[1]), [0.01, 0.02, 0.05, 0.1])
    alpha_bar_T = 0.99 * 0.98 * 0.95 * 0.9
    [warning] = [w.value for w in at.warning]
    assert f"{alpha_bar_T:.3g}" in warning and "not negligible" in warning
    assert f"{reference.terminal_signal(reference.parse_betas('0.01 0.02 0.05 0.1')).prior_bits_per_dim:.3g}" in warning


@pytest.mark.parametrize("widget, key, value, message", [
    ("text_area", "betas_1", "0.1, abc, 0.2", "could not read 'abc' at the paper's t = 2"),
    ("text_area", "betas_1", "0.1, 1.2", "betas must lie in (0, 1), the last in (0, 1]; got 1.2 at the paper's t = 2"),
    ("text_area", "betas_1", "0.1, 0", "betas must lie in (0, 1), the last in (0, 1]; got 0 at the paper's t = 2"),
    ("text_area", "betas_1", "  ", "no β values found"),
    ("number_input", "T_0", 0, "T must be an integer of at least 1; got 0"),
    ("number_input", "beta_end_0", 1.5, "must lie in (0, 1); got 1.5"),
])
def test_schedule_page_bad_input_shows_an_error(widget, key, value, message):
    """Is each invalid schedule answered by the reference's message in st.error, with no traceback and no plot?"""
    at = open_page("schedule")
    if key.startswith("betas"):
        at.selectbox(key="kind_1").set_value("custom β list").run()
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception
    assert len(errors(at)) == 1 and message in errors(at)[0], errors(at)
    assert len(panel(figure(at, "fig_schedules"), "betas")) == 1  # the other schedule keeps its plot


def test_schedule_upload_draws_the_file_and_rejects_a_bad_one():
    """Does an uploaded .npz draw its β_t, and a corrupt one show the reference's message instead of a traceback?"""
    at = open_page("schedule")
    at.selectbox(key="kind_1").set_value("upload a file").run()
    assert not at.exception and at.info and len(panel(figure(at, "fig_schedules"), "betas")) == 1  # waits for a file
    sigmoid = reference.Schedule.from_name("sigmoid", 300)
    upload = ("mine.npz", reference.schedule_to_npz(sigmoid), "application/octet-stream")
    at.file_uploader(key="file_1").set_value(upload)
    at.run()
    assert not at.exception and not errors(at)
    trace = panel(figure(at, "fig_schedules"), "betas")[1]
    assert trace["name"] == "2: mine (T=300)"
    np.testing.assert_allclose(y_of(trace), sigmoid.betas.numpy(), rtol=1e-12)
    at.file_uploader(key="file_1").set_value(("broken.npz", b"not a zip file", "application/octet-stream"))
    at.run()
    assert not at.exception
    assert len(errors(at)) == 1 and errors(at)[0].startswith("Schedule 2: could not read broken.npz as an .npz file")


def test_schedule_downloads_read_back_as_the_same_schedule():
    """Do the page's .npz and JSON downloads load back, via the reference, into the schedule on screen?"""
    at = open_page("schedule")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["1: linear (T=1000) as .npz", "1: linear (T=1000) as JSON",
                      "2: cosine (T=1000) as .npz", "2: cosine (T=1000) as JSON"]
    from lab_app.views import schedule as schedule_view  # the same functions the buttons' data come from
    npz, text = schedule_view.schedule_files(("cosine", 1000, (("s", 0.008), ("max_beta", 0.999)), False))
    cosine = reference.Schedule.from_name("cosine", 1000)
    assert torch.equal(reference.load_schedule(npz, "c.npz").betas, cosine.betas)
    assert torch.equal(reference.load_schedule(text.encode(), "c.json").betas, cosine.betas)


# --- ELBO inspection --------------------------------------------------------------------------------------------


@needs_moons
def test_elbo_page_matches_the_reference_bound():
    """Are the page's per-term, running-sum and total bits/dim the reference's, for both reverse variances?"""
    n = 16
    at = open_page("elbo", elbo_n_moons=n)
    ckpt = load_checkpoint("moons")
    x0 = make_toy("moons", n, seed=TOY_HELDOUT_SEED)
    T = ckpt.schedule.T
    terms = figure(at, "fig_terms")["data"]
    assert [tr["name"] for tr in terms] == ["σ² = β (fixed_large)", "σ² = β̃ (fixed_small)"]
    for trace, variance in zip(terms, ["fixed_large", "fixed_small"]):
        summary = reference.summarize_bound(reference.vlb_terms(ckpt.model, x0, ckpt.schedule, variance=variance))
        assert len(y_of(trace)) == T + 1
        np.testing.assert_allclose(y_of(trace), summary.per_term.numpy(), rtol=1e-5, atol=1e-7)
    cumulative = figure(at, "fig_cumulative")["data"]
    metrics = [m.value for m in at.metric]
    assert metrics[0].startswith(f"{y_of(cumulative[0])[-1]:.3f} ± ")
    assert y_of(cumulative[1])[-1] > y_of(cumulative[0])[-1]  # σ² = β̃ gives the looser bound here
    bars = figure(at, "fig_parts")["data"][0]
    assert bars["x"] == ["L<sub>0</sub><br>reconstruction", "Σ L<sub>t−1</sub><br>denoising", "L<sub>T</sub><br>prior",
                         "total"]
    parts = y_of(bars)
    assert parts[0] + parts[1] + parts[2] == pytest.approx(parts[3], rel=1e-9)
    weight = figure(at, "fig_weight")["data"]
    np.testing.assert_allclose(y_of(weight[1]), 2 * reference.eps_weight(ckpt.schedule, "fixed_small")[1:].numpy(),
                               rtol=1e-9)


@needs_moons
def test_elbo_page_one_variance_and_a_new_batch():
    """Does dropping σ² = β̃ leave one curve, and a new seed give a new bound?"""
    at = open_page("elbo", elbo_n_moons=8)
    at.multiselect(key="elbo_variances").set_value(["fixed_large"]).run()
    assert not at.exception
    assert len(figure(at, "fig_terms")["data"]) == 1
    first = at.metric[0].value
    at.number_input(key="elbo_seed").set_value(3).run()
    assert not at.exception and at.metric[0].value != first
    at.multiselect(key="elbo_variances").set_value([]).run()
    assert not at.exception and not at.get("plotly_chart") and at.info


@needs_digits
def test_elbo_page_on_digits_uses_the_discrete_decoder():
    """Does the digits model's bound come from the discrete decoder (positive bits/dim on the 8-bit grid)?"""
    at = open_page("elbo", elbo_model="digits", elbo_n_digits=1, elbo_variances=["fixed_large"])
    assert not errors(at)
    total = float(at.metric[0].value.split()[0])
    assert 0 < total < 8


# --- sampling ---------------------------------------------------------------------------------------------------


@needs_moons
def test_sampling_page_ddpm_draws_the_samples_and_the_trajectory():
    """Does DDPM give n samples near the data, a trajectory slider in the paper's t, and the time taken?"""
    at = open_page("sampling", sampling_n_moons=200)
    samples = figure(at, "fig_samples")["data"]
    assert [tr["name"] for tr in samples] == ["held-out data", "samples"]
    xy = np.stack([y_of({"y": samples[1]["x"]}), y_of(samples[1])], 1)
    assert xy.shape == (200, 2) and np.abs(xy).max() < 5
    assert any("DDPM, 1000 steps, 200 samples:" in c.value and reference.device_name() in c.value for c in at.caption)
    slider = at.select_slider[0]
    assert slider.format_func(0) == "t = 1000"  # the first step denoises the paper's x_T
    title = figure(at, "fig_x0_pred")["layout"]["title"]["text"]
    slider.set_value(len(slider.options) - 1).run()
    assert not at.exception
    assert figure(at, "fig_x_t")["layout"]["title"]["text"] == "x_t at t = 1"
    assert figure(at, "fig_x0_pred")["layout"]["title"]["text"] != title


@needs_moons
def test_sampling_page_ddim_and_bad_steps():
    """Does DDIM run with its step count and η, and is an impossible step count refused by the field (min 1)?"""
    at = open_page("sampling", sampling_n_moons=100)
    at.radio(key="sampling_sampler_points").set_value("ddim").run()
    at.number_input(key="sampling_ddim_steps").set_value(20).run()
    assert not at.exception and not errors(at)
    assert any("DDIM, 20 steps, 100 samples" in c.value for c in at.caption)
    assert len(at.select_slider[0].options) == 20
    at.number_input(key="sampling_ddim_steps").set_value(0).run()
    assert not at.exception
    assert not errors(at) and at.number_input(key="sampling_ddim_steps").value >= 1
    assert len(at.get("plotly_chart")) == 3


@needs_digits
def test_sampling_page_digits_grid():
    """Do digits samples come back as an image grid in [−1, 1]?"""
    at = open_page("sampling", sampling_model="digits", sampling_n_digits=4, sampling_ddim_steps=5)
    heatmap = figure(at, "fig_samples")["data"][0]
    assert heatmap["type"] == "heatmap"
    assert figure(at, "fig_samples")["data"][0]["zmin"] == -1


@needs_digits
def test_digits_sample_count_is_capped():
    """Does the sampling page refuse to start thousands of U-Net samples (the widget tops out at 256 digits)?"""
    at = open_page("sampling", sampling_model="digits", sampling_n_digits=4, sampling_ddim_steps=5)
    assert at.number_input(key="sampling_n_digits").max == 256
    at.number_input(key="sampling_n_digits").set_value(5000).run()
    assert not at.exception
    assert at.number_input(key="sampling_n_digits").value <= 256
