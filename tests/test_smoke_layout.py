"""Does the fixed top level exist, and does the reference import with its public API?"""
from pathlib import Path

import reference

ROOT = Path(__file__).resolve().parents[1]


def test_top_level_layout():
    for name in ["lab_app", "assignments", "reference", "graders", "tests", "streamlit_app.py", "requirements.txt"]:
        assert (ROOT / name).exists(), name


def test_public_api_names():
    for name in ["Schedule", "diffuse", "q_posterior_mean_variance", "p_mean_variance", "weighted_eps_loss", "vlb_terms",
                 "sample_ddpm", "sample_ddim", "default_device"]:
        assert hasattr(reference, name), name
