"""Are the shipped VAE, GAN and flow checkpoints (reference/weights/families/) what their manifests say, rebuilt by
their recorded commands, and do they sample their data as measured? Quality is judged as the diffusion checkpoints'
is (tests/models/test_models_quality_toy.py, test_models_quality_digits.py): sliced Wasserstein distance and support
precision against held-out toy points of an unused seed, the digits classifier's confidence; against noise and the
same networks with shuffled weights."""
import hashlib
import json
import shlex
from pathlib import Path

import pytest
import torch

from reference import make_toy
from reference.families import comparison as families
from reference.training import families as train_families
from reference.evaluate import digit_quality, digits_classifier, sliced_wasserstein, support_precision
from reference.families.comparison import FAMILIES, FAMILIES_DIR, family_samples, load_family
from reference.data import load_digits_split

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"{family}_{data}" for family in FAMILIES for data in families.FAMILY_DATA]
N, HELDOUT_SEED, SAMPLE_SEED = 2000, 2, 1  # neither the training set (seed 0) nor the manifests' held-out (seed 1)
# Measured (2000 samples, seed 1, against make_toy("moons", seed=2)): flow 0.031 and 93 %, VAE 0.057 and 75 %, GAN
# 0.031 and 93 %; the moons diffusion model 0.023 and 94 %; N(0, I) 0.22 and 33 %. Bars sit between those and noise.
TOY_BARS = {"flow": (0.05, 0.88), "vae": (0.09, 0.65), "gan": (0.06, 0.85)}  # (max distance, min on support)
# Digits classifier on 500 samples (seed 1): flow 0.76, VAE (decoder means) 0.83, GAN 0.86; real test digits 0.945,
# the digits diffusion model 0.94; N(0, I) 0.65, U[−1, 1] 0.59.
DIGIT_BARS = {"flow": 0.70, "vae": 0.76, "gan": 0.80}  # min mean confidence


def _manifest(name: str) -> dict:
    return json.loads((FAMILIES_DIR / f"{name}.json").read_text())


def _shuffled(model, seed=0):
    """The same architecture, each parameter tensor's entries randomly permuted: the weights' values, no structure."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.flatten()[torch.randperm(p.numel(), generator=generator)].reshape(p.shape))
    return model


@pytest.fixture(scope="module")
def classifier():
    return digits_classifier()


@pytest.mark.parametrize("name", NAMES)
def test_files_are_small_logged_and_hash_matches(name):
    """Is each weights file under 1.5 MB (the digits U-Net's is 2.7 MB), its loss log beside it, and the manifest's
    sha256 the file's (computed here)?"""
    weights = FAMILIES_DIR / f"{name}.safetensors"
    assert weights.stat().st_size < 1.5 * 1024 * 1024
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == _manifest(name)["sha256"]
    assert (FAMILIES_DIR / f"{name}.loss.csv").read_text().startswith("step,loss")


@pytest.mark.parametrize("name", NAMES)
def test_recorded_command_gives_back_the_manifests_config(name, monkeypatch):
    """Parsed by its own command line, does the recorded command give the manifest's family, data, model config,
    seed, steps and output path, and spell itself out exactly as recorded?"""
    manifest = _manifest(name)
    args = shlex.split(manifest["command"])
    assert args[:3] == ["python", "-m", "reference.training.families"]
    runs = []
    monkeypatch.setattr(train_families, "train", lambda cfg, resume=False: runs.append(cfg) or {})
    train_families.main(args[3:])
    (cfg,) = runs
    assert cfg.command() == manifest["command"]
    assert cfg.model_spec == (manifest["family"], manifest["model"]["config"])
    assert (cfg.family, cfg.data, cfg.seed, cfg.steps) == (manifest["family"], manifest["data"], manifest["seed"],
                                                          manifest["steps"])
    assert cfg.out == f"reference/weights/families/{name}"


@pytest.mark.parametrize("name", NAMES)
def test_manifest_states_its_likelihood(name):
    """Does each manifest say what its bits/dim are (exact, bound, none) on which data, as its family gives them?"""
    m = _manifest(name)
    expected = {"gan": "none", "vae": "bound", "flow": "bound" if m["data"] == "digits" else "exact"}[m["family"]]
    assert m["likelihood"] == expected
    assert (m["bits_per_dim"] is None) == (m["family"] == "gan")
    if m["family"] == "vae":
        assert m["iw_bits_per_dim"] <= m["bits_per_dim"]  # the importance-weighted bound is the tighter one
    assert ("test digits" in m["bits_per_dim_data"]) == (m["data"] == "digits")


@pytest.mark.parametrize("family", FAMILIES)
def test_toy_samples_lie_on_the_moons(family):
    """Do 2000 samples lie close to held-out moons and mostly on their support, where N(0, I) and the shuffled
    network do not?"""
    ckpt = load_family(f"{family}_moons", "cpu")
    heldout = make_toy("moons", N, seed=HELDOUT_SEED)
    x = family_samples(ckpt.model, N, torch.Generator().manual_seed(SAMPLE_SEED))
    distance, precision = sliced_wasserstein(x, heldout), support_precision(x, heldout)
    max_distance, min_precision = TOY_BARS[family]
    assert distance < max_distance and precision > min_precision, (distance, precision)
    shuffled = family_samples(_shuffled(ckpt.model), N, torch.Generator().manual_seed(SAMPLE_SEED))
    assert not (sliced_wasserstein(torch.nan_to_num(shuffled), heldout) < max_distance
                and support_precision(shuffled, heldout) > min_precision)


@pytest.mark.parametrize("family", FAMILIES)
def test_digit_samples_are_recognisable(family, classifier):
    """Does the digits classifier label 500 samples with a mean confidence above noise's 0.65, of several classes,
    where the shuffled network falls short?"""
    ckpt = load_family(f"{family}_digits", "cpu")
    quality = digit_quality(family_samples(ckpt.model, 500, torch.Generator().manual_seed(SAMPLE_SEED)), classifier)
    assert quality["mean_confidence"] > DIGIT_BARS[family], quality
    assert sum(h > 0.02 for h in quality["class_histogram"]) >= 7, quality
    shuffled = digit_quality(family_samples(_shuffled(ckpt.model), 500, torch.Generator().manual_seed(SAMPLE_SEED)),
                             classifier)
    assert shuffled["mean_confidence"] < quality["mean_confidence"]


def test_flow_and_vae_bits_per_dim_beat_uniform_and_agree_with_the_manifest():
    """On the first 100 test digits: is every bits/dim below the uniform 8 bits, and does a fresh evaluation give the
    manifest's number (another seed's draws)?"""
    x0 = load_digits_split().x_test[:100]
    for family in ("flow", "vae"):
        ckpt = load_family(f"{family}_digits", "cpu")
        fresh = families.heldout_bits_per_dim(ckpt.model, x0, discrete=True, seed=5)["bits_per_dim"]
        assert fresh < 8 and fresh == pytest.approx(ckpt.manifest["bits_per_dim"], abs=0.05)


def test_corrupt_checkpoint_is_refused(tmp_path):
    """Is a weights file whose bytes changed refused, naming the sha256 mismatch?"""
    for suffix in (".json", ".safetensors"):
        (tmp_path / f"gan_moons{suffix}").write_bytes((FAMILIES_DIR / f"gan_moons{suffix}").read_bytes())
    weights = tmp_path / "gan_moons.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ValueError, match="sha256"):
        load_family(str(tmp_path / "gan_moons"))
    with pytest.raises(FileNotFoundError, match="shipped"):
        load_family("no_such_model")


@pytest.mark.parametrize("family", [pytest.param(f, marks=[] if f == "gan" else [pytest.mark.slow]) for f in FAMILIES])
def test_training_is_seeded_and_resumes_exactly(family, tmp_path):
    """Do 20 steps, then --resume to 40, give the weights and loss log of 40 steps in one go, and are they the ones
    a second run with the same seed gives? (The GAN, with its two alternating steps, runs by default; the others
    with -m slow.)"""
    short = {"family": family, "data": "moons", "batch_size": 16, "evaluate": False, "log_every": 10,
             "save_every": 20}
    for run in ("a", "b"):
        train_families.train(train_families.FamilyConfig(**short, steps=40, out=str(tmp_path / run)), progress=False)
    train_families.train(train_families.FamilyConfig(**short, steps=20, out=str(tmp_path / "split")), progress=False)
    train_families.train(train_families.FamilyConfig(**short, steps=40, out=str(tmp_path / "split")), resume=True,
                         progress=False)
    digests = {run: json.loads((tmp_path / f"{run}.json").read_text())["sha256"] for run in ("a", "b", "split")}
    assert len(set(digests.values())) == 1, digests
    assert (tmp_path / "a.loss.csv").read_text() == (tmp_path / "split.loss.csv").read_text()


def test_bad_settings_are_refused(tmp_path):
    """Are an unknown family or data set, and a bad shared setting, refused with a ValueError naming it?"""
    with pytest.raises(ValueError, match="family"):
        train_families.FamilyConfig(family="diffusion", data="moons", out=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="data"):
        train_families.FamilyConfig(family="gan", data="mnist", out=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="ema_decay"):
        train_families.FamilyConfig(family="gan", data="moons", out=str(tmp_path / "x"), ema_decay=1.0)
