"""The Schedule page with zero-terminal-SNR schedules, errors in the paper's t, schedules validated one by one, a
square noised scatter and a t / T axis (issue 15)."""
import numpy as np
import pytest
import torch
from test_app import _keep_torch_threads, errors, figure, open_page, panel, y_of  # noqa: F401 (autouse fixture)

import reference
from lab_app.views import schedule as schedule_view
from lab_app.figures.style import COLORS

ZERO_SNR_LINEAR = ("linear", 1000, (), True)  # the spec the page builds for linear, T = 1000, "rescale to ᾱ_T = 0"


def upload(at, slot: int, filename: str, data: bytes) -> None:
    at.selectbox(key=f"kind_{slot}").set_value("upload a file").run()
    at.file_uploader(key=f"file_{slot}").set_value((filename, data, "application/octet-stream"))
    at.run()
    assert not at.exception


def test_zero_terminal_snr_download_uploads_back():
    """Do the .npz and JSON downloads of a β_T = 1 schedule upload again as the same β, with no error?"""
    at = open_page("schedule", schedule_count=3, zero_snr_0=True)
    assert [b.proto.label for b in at.get("download_button")][:2] == ["1: linear (T=1000) as .npz",
                                                                     "1: linear (T=1000) as JSON"]
    npz, json_text = schedule_view.schedule_files(ZERO_SNR_LINEAR)  # the bytes behind those two buttons
    upload(at, 1, "linear_schedule.npz", npz)
    upload(at, 2, "linear_schedule.json", json_text.encode())
    assert not errors(at), errors(at)
    betas = panel(figure(at, "fig_schedules"), "betas")
    assert [tr["name"] for tr in betas] == ["1: linear (T=1000)", "2: linear_schedule (T=1000)",
                                            "3: linear_schedule (T=1000)"]
    expected = reference.Schedule.from_name("linear", 1000, zero_terminal_snr=True).betas.numpy()
    assert expected[-1] == 1
    for trace in betas:
        np.testing.assert_array_equal(y_of(trace), expected)
    assert all(y_of(trace)[-1] == 0 for trace in panel(figure(at, "fig_schedules"), "alpha_bar"))
    assert any("but the last, which may be 1" in c.value for c in at.caption)  # the page says why


@pytest.mark.parametrize("text, message", [
    ("0.1, 0.2, 1.5", "Schedule 2: betas must lie in (0, 1), the last in (0, 1]; got 1.5 at the paper's t = 3 "
                      "(code's index 2)"),
    ("0.1, abc, 0.2", "Schedule 2: could not read 'abc' at the paper's t = 2 (code's index 1) as a number"),
    ("0.1, 1, 0.2", "Schedule 2: only the last β may be 1; got 1 at the paper's t = 2 (code's index 1) of T = 3"),
    ("0.1 nan", "Schedule 2: betas must not be NaN; got NaN at the paper's t = 2 (code's index 1)"),
])
def test_bad_beta_list_errors_speak_the_papers_t(text, message):
    """Does every error about a typed β_1 … β_T name the β by the paper's t, as the field's label and the plots do?"""
    at = open_page("schedule")
    at.selectbox(key="kind_1").set_value("custom β list").run()
    at.text_area(key="betas_1").set_value(text).run()
    assert not at.exception
    assert len(errors(at)) == 1 and errors(at)[0].startswith(message), errors(at)
    assert "t=" not in errors(at)[0]  # no bare code index


def test_a_beta_list_ending_in_one_is_drawn():
    """Is a typed list whose last β is 1 drawn, with ᾱ_T = 0 and no error?"""
    at = open_page("schedule")
    at.selectbox(key="kind_1").set_value("custom β list").run()
    at.text_area(key="betas_1").set_value("0.1 0.3 0.6 1").run()
    assert not at.exception and not errors(at)
    assert y_of(panel(figure(at, "fig_schedules"), "alpha_bar")[1])[-1] == 0


def test_one_bad_schedule_among_three_keeps_the_other_plots():
    """Does a bad schedule 2 get its own error while schedules 1 and 3 keep their plots, colours and downloads?"""
    at = open_page("schedule", schedule_count=3)
    at.number_input(key="T_1").set_value(0).run()
    assert not at.exception
    assert errors(at) == ["Schedule 2: T must be an integer of at least 1; got 0"]
    betas = panel(figure(at, "fig_schedules"), "betas")
    assert [tr["name"] for tr in betas] == ["1: linear (T=1000)", "3: quadratic (T=1000)"]
    assert [tr["line"]["color"] for tr in betas] == [COLORS[0], COLORS[2]]  # each keeps its slot's colour
    noised = figure(at, "fig_noised")
    assert [a["text"] for a in noised["layout"]["annotations"]] == ["1: linear (T=1000), t = 250",
                                                                   "3: quadratic (T=1000), t = 250"]
    assert [tr["marker"]["color"] for tr in noised["data"] if tr["name"] == "x_t"] == [COLORS[0], COLORS[2]]
    assert [b.proto.label for b in at.get("download_button")][::2] == ["1: linear (T=1000) as .npz",
                                                                      "3: quadratic (T=1000) as .npz"]


def test_all_schedules_bad_shows_only_errors():
    """With every schedule invalid, are there two errors and no plot?"""
    at = open_page("schedule", T_0=0, T_1=0)
    assert len(errors(at)) == 2 and not at.get("plotly_chart")


def test_t_over_T_option_changes_the_x_axis():
    """Does "x axis: t / T" draw every schedule on (0, 1], so that T = 50 and T = 1000 span the same axis?"""
    at = open_page("schedule", T_0=50)
    before = panel(figure(at, "fig_schedules"), "betas")
    np.testing.assert_array_equal(y_of({"y": before[0]["x"]}), np.arange(1, 51))
    at.checkbox(key="schedule_relative_t").check().run()
    assert not at.exception
    fig = figure(at, "fig_schedules")
    betas = panel(fig, "betas")
    np.testing.assert_allclose(y_of({"y": betas[0]["x"]}), np.arange(1, 51) / 50)
    np.testing.assert_allclose(y_of({"y": betas[1]["x"]}), np.arange(1, 1001) / 1000)
    assert fig["layout"]["xaxis3"]["title"]["text"].startswith("t / T")
    np.testing.assert_allclose(y_of(betas[0]), reference.Schedule.from_name("linear", 50).betas.numpy())


@pytest.mark.parametrize("count", [1, 3])
def test_noised_scatter_has_equal_aspect(count):
    """Is every noised scatter drawn on square axes (y anchored to its x at ratio 1, equal ranges)?"""
    at = open_page("schedule", schedule_count=count)
    layout = figure(at, "fig_noised")["layout"]
    for col in range(1, count + 1):
        suffix = "" if col == 1 else str(col)
        x, y = layout[f"xaxis{suffix}"], layout[f"yaxis{suffix}"]
        assert y["scaleanchor"] == f"x{suffix}" and y.get("scaleratio", 1) == 1
        assert list(x["range"]) == list(y["range"])
        assert x["constrain"] == y["constrain"] == "domain"  # the box shrinks; the ranges stay [−4, 4]


def test_schedule_figures_put_the_legend_above_the_plots():
    """Do both figures hang their legend above the plotting area, clear of the x-axis titles?"""
    at = open_page("schedule")
    for key in ("fig_schedules", "fig_noised"):
        legend = figure(at, key)["layout"]["legend"]
        assert legend["y"] >= 1 and legend["yanchor"] == "bottom" and legend["orientation"] == "h", (key, legend)


def test_noised_zero_terminal_snr_at_T_is_the_noise():
    """At the paper's t = T, is a zero-terminal-SNR schedule's x_T the seeded noise itself (ᾱ_T = 0)?"""
    at = open_page("schedule", schedule_count=1, zero_snr_0=True)
    at.slider(key="t_1000").set_value(1000).run()
    x_t = figure(at, "fig_noised")["data"][1]
    eps = torch.randn((500, 2), generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(np.stack([y_of({"y": x_t["x"]}), y_of(x_t)], 1), eps.numpy(), rtol=1e-6)
