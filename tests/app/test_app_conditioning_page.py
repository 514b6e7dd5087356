"""The Conditioning and guidance page (issue 17 item 2): guided digits with the classifier's verdict, the
accuracy-vs-diversity curve from the manifest with the student's own point, and which-moon samples."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest
from test_app import _keep_torch_threads, errors, figure, y_of  # noqa: F401 (autouse fixture)

import reference
from reference.checkpoints import WEIGHTS_DIR, available_checkpoints
from reference.evaluate import class_fidelity, digits_classifier

PAGE = str(Path(__file__).resolve().parents[2] / "lab_app" / "pages" / "conditioning.py")
pytestmark = pytest.mark.skipif(not {"digits_cond", "moons_cond"} <= set(available_checkpoints()),
                                reason="the conditional checkpoints are not shipped")


def open_conditioning(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _metric(at, label_start):
    (m,) = [m for m in at.metric if m.label.startswith(label_start)]
    return m.value


def test_default_page_draws_samples_curve_and_moons():
    """Does the page render eq. 6, 16 guided digits each labelled by the classifier, the manifest's six-point curve
    with the student's point, and moons samples of both moons, with no error?"""
    at = open_conditioning()
    assert not errors(at)
    assert any(r"(1 + w)" in latex.value and r"\varnothing" in latex.value for latex in at.latex)
    digits = figure(at, "fig_cond_digits")
    assert digits["data"][0]["type"] == "heatmap" and len(digits["layout"]["annotations"]) == 16
    curve = {tr["name"]: tr for tr in figure(at, "fig_cond_tradeoff")["data"]}
    recorded = json.loads((WEIGHTS_DIR / "digits_cond.json").read_text())["guidance"]["curve"]
    np.testing.assert_allclose(y_of(curve["all digits"]), [row["accuracy"] for row in recorded])
    np.testing.assert_allclose(y_of(curve["digit 3"]), [row["per_class_accuracy"][3] for row in recorded])
    (student,) = [tr for name, tr in curve.items() if name.startswith("your samples")]
    assert f"{y_of(student)[0]:.0%}" == _metric(at, "classifier says 3")
    moons = [tr["name"] for tr in figure(at, "fig_cond_moons")["data"]]
    assert {"samples: upper moon (y = 0)", "samples: lower moon (y = 1)"} <= set(moons)


def test_student_accuracy_is_the_references():
    """For digit 7 at w = 4, seed 5: is the page's accuracy the one the reference computes from the same draw?"""
    at = open_conditioning(cond_digit=7, cond_w=4.0, cond_seed=5)
    ckpt = reference.load_checkpoint("digits_cond", "cpu")
    y = torch.full((16,), 7)
    x0 = reference.sample_ddim(ckpt.model, (16, 1, 8, 8), ckpt.schedule, steps=50,
                               generator=torch.Generator().manual_seed(5), clip_x0=1.0, y=y, guidance=4.0)
    expected = class_fidelity(x0, y, digits_classifier())["accuracy"]
    assert _metric(at, "classifier says 7") == f"{expected:.0%}"
    assert "w = 4" in figure(at, "fig_cond_digits")["layout"]["title"]["text"]


def test_one_moon_draws_only_that_moon():
    """Asked for the lower moon only, does the figure hold samples of that moon alone, nearly all on it?"""
    at = open_conditioning(cond_moon="lower moon (y = 1)", cond_moon_w=2.0)
    names = [tr["name"] for tr in figure(at, "fig_cond_moons")["data"] if tr["name"].startswith("samples")]
    assert names == ["samples: lower moon (y = 1)"]
    assert float(_metric(at, "on the asked moon").rstrip("%")) > 95
