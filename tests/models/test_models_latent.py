"""Do the latent-diffusion checkpoints (reference/weights/latent/) load as documented and carry their own provenance,
and does the DDPM on a VAE's latents (Rombach et al. 2022) close the gap between the VAE's prior N(0, I) and its
aggregated posterior q(z)?

A LogisticRegression fitted here on the real training digits judges decoded samples, as in
test_models_quality_digits.py; the distances come from reference.evaluate, tested on the toy sets.
"""
import copy
import hashlib
import json
import shlex
import shutil
from pathlib import Path

import pytest
import torch
from sklearn.linear_model import LogisticRegression

from reference import load_digits_split
from reference.families import latent
from reference import training as train
from reference.training import ddpm as ddpm_command, vae as train_vae
from reference.evaluate import sliced_wasserstein, support_precision
from reference.families.latent import LATENT_DIMS, LATENT_DIR

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"{kind}_z{d}" for d in LATENT_DIMS for kind in ("vae", "ddpm")]
N_SAMPLES, DDIM_STEPS, SEED = 500, 50, 7  # a seed none of the manifests used
# Measured on the shipped pairs with this test's classifier (DDIM, 50 trailing steps, 500 decoded samples, seeds 7,
# 11, 12, 13): mean confidence, 2-D latent DDPM 0.892-0.913 against its prior's 0.840-0.854, 8-D 0.915-0.936
# against 0.760-0.789 (real test digits 0.945); TV of the class histogram from uniform 0.028-0.076 (latent DDPM),
# 0.060-0.118 (prior), 0.025 (real digits). Over 8 sets of 360 latents against 360 held-out q(z) draws: sliced W1
# over the prior's 0.55-0.64 in 2-D and 0.74-0.76 in 8-D; share on q(z)'s support in 8-D 0.911-0.924 against the
# prior's 0.753-0.772 (in 2-D 0.95-0.96 for both: there the prior's draws land on q(z)'s support, in the wrong
# proportions). The latent DDPM with its weights shuffled scores TV 0.58 (2-D) and 0.28 (8-D) (its samples collapse
# onto a few digits, which the classifier labels with confidence 0.96 in 2-D), sliced W1 3.2-3.4 and support 0.00.
MIN_CONFIDENCE, MAX_TV = 0.87, 0.11
MIN_CONFIDENCE_GAIN = {2: 0.02, 8: 0.08}
MAX_SW_RATIO = {2: 0.8, 8: 0.9}  # sliced W1 of the latent DDPM's samples over that of the prior's draws
MIN_SUPPORT_GAIN = {8: 0.08}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread, as the app runs: these models are small, and on a shared CPU two threads spin."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _manifest(name: str) -> dict:
    return json.loads((LATENT_DIR / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


@pytest.fixture(scope="module")
def classifier(split):
    return LogisticRegression(max_iter=3000).fit(split.x_train.flatten(1).numpy(), split.y_train.numpy())


@pytest.fixture(scope="module", params=LATENT_DIMS)
def pair(request):
    return latent.load_latent_diffusion(request.param, "cpu")


def _label(classifier, x: torch.Tensor) -> tuple[float, float]:
    """(mean top probability, TV distance of the class histogram from uniform) for digits x (B, 1, 8, 8)."""
    probs = torch.from_numpy(classifier.predict_proba(x.clamp(-1, 1).flatten(1).numpy()))
    top, label = probs.max(dim=1)
    histogram = torch.bincount(label, minlength=10).double() / len(label)
    return float(top.mean()), float(0.5 * (histogram - 0.1).abs().sum())


def _shuffled(pair) -> latent.LatentDiffusion:
    """The same pair with the latent DDPM's weights shuffled within each tensor."""
    ddpm = copy.deepcopy(pair.ddpm)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in ddpm.model.parameters():
            p.copy_(p.flatten()[torch.randperm(p.numel(), generator=generator)].reshape(p.shape))
    return latent.LatentDiffusion(pair.vae, pair.vae_manifest, ddpm, pair.stats)


def _distances(pair, split) -> tuple[float, float, float, float]:
    """(sliced W1 of the latent DDPM's samples, of prior draws, share on the support of the first, of the second),
    each the mean over 8 sets of as many latents as there are test digits, against one q(z) draw per test digit."""
    heldout = latent.heldout_latents(pair.vae, split.x_test, seed=SEED)
    n = len(heldout)
    ours = pair.sample(8 * n, sampler="ddim", steps=DDIM_STEPS, generator=torch.Generator().manual_seed(SEED)).z
    prior = torch.randn(8 * n, pair.latent_dim, generator=torch.Generator().manual_seed(SEED + 1))

    def mean_over_sets(distance, z):
        return sum(distance(chunk, heldout) for chunk in z.split(n)) / 8

    return (mean_over_sets(sliced_wasserstein, ours), mean_over_sets(sliced_wasserstein, prior),
            mean_over_sets(support_precision, ours), mean_over_sets(support_precision, prior))


@pytest.mark.parametrize("name", NAMES)
def test_files_are_small_logged_and_hash_matches(name):
    """Is each weights file well under 1 MB, with its loss log beside it and the manifest's sha256 (computed here)?"""
    weights = LATENT_DIR / f"{name}.safetensors"
    assert weights.stat().st_size < 512 * 1024
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == _manifest(name)["sha256"]
    assert (LATENT_DIR / f"{name}.loss.csv").read_text().startswith("step,loss")


@pytest.mark.parametrize("name", NAMES)
def test_recorded_command_gives_back_the_manifests_config(name, monkeypatch):
    """Parsed by its own command line, does the recorded command give the manifest's model config, seed, steps and
    output path, and spell itself out exactly as recorded?"""
    manifest = _manifest(name)
    args = shlex.split(manifest["command"])
    module = {"reference.training.vae": train_vae, "reference.training.ddpm": ddpm_command}[args[2]]
    runs = []
    monkeypatch.chdir(ROOT)  # the command runs from the repository root
    monkeypatch.setattr(module, "train", lambda cfg, resume=False: runs.append(cfg) or dict.fromkeys(
        ("final_loss", "bits_per_dim", "quality", "sha256")))
    module.main(args[3:])
    (cfg,) = runs
    assert cfg.command() == manifest["command"]
    assert cfg.model_spec == (manifest["model"]["class"], manifest["model"]["config"])
    assert (cfg.seed, cfg.steps, cfg.out) == (manifest["seed"], manifest["steps"], f"reference/weights/latent/{name}")
    if name.startswith("ddpm"):
        assert cfg.data == "latent" and cfg.vae == f"reference/weights/latent/{name.replace('ddpm', 'vae')}"


def test_pair_loads_on_the_cpu_and_belongs_together(pair, split):
    """Do the VAE and its DDPM load in eval mode on the CPU, with the manifests' parameter counts, the DDPM trained
    on this VAE (sha256), and the standardisation (m, s) equal to the training digits' posterior means' statistics
    recomputed here?"""
    d = pair.latent_dim
    for model, manifest in ((pair.vae, pair.vae_manifest), (pair.ddpm.model, pair.ddpm.manifest)):
        assert not model.training and all(p.device.type == "cpu" for p in model.parameters())
        assert sum(p.numel() for p in model.parameters()) == manifest["param_count"]
    assert pair.ddpm.manifest["latent"]["vae_sha256"] == pair.vae_manifest["sha256"] == _manifest(f"vae_z{d}")["sha256"]
    with torch.no_grad():
        mu = pair.vae.encoder(split.x_train)[:, :d].double()  # the first half of the encoder's output is μ_φ(x)
        assert pair.vae.decode(torch.zeros(3, d)).shape == (3, 1, 8, 8)
        assert pair.ddpm.model(torch.zeros(3, d), torch.tensor([0, 500, 999])).shape == (3, d)
    torch.testing.assert_close(pair.stats.mean.double(), mu.mean(0), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(pair.stats.std.double(), mu.std(0), rtol=1e-5, atol=1e-6)


def test_corrupt_vae_is_refused(tmp_path):
    """Does one flipped byte in a VAE's weights raise a ValueError that says sha256?"""
    for suffix in (".json", ".safetensors"):
        shutil.copy(LATENT_DIR / f"vae_z2{suffix}", tmp_path / f"vae_z2{suffix}")
    weights = tmp_path / "vae_z2.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        latent.load_vae(tmp_path / "vae_z2", "cpu")


def test_decoded_latent_ddpm_samples_beat_decoded_prior_draws(pair, classifier):
    """Does the classifier label decoded latent DDPM samples (DDIM, 50 steps) more confidently than decoded prior
    draws, by a clear margin in 8-D, where the prior's draws miss q(z) most, with every class drawn about as often?"""
    d = pair.latent_dim
    samples = pair.sample(N_SAMPLES, sampler="ddim", steps=DDIM_STEPS, generator=torch.Generator().manual_seed(SEED))
    _, prior_x = latent.sample_prior(pair.vae, N_SAMPLES, torch.Generator().manual_seed(SEED + 1))
    assert samples.x.shape == (N_SAMPLES, 1, 8, 8) and torch.isfinite(samples.x).all()
    (ours, tv), (prior, _) = _label(classifier, samples.x), _label(classifier, prior_x)
    assert ours > MIN_CONFIDENCE, ours
    assert ours > prior + MIN_CONFIDENCE_GAIN[d], (ours, prior)
    assert tv < MAX_TV, tv


def test_latent_ddpm_samples_are_closer_to_the_aggregated_posterior(pair, split):
    """Over 8 sets of as many latents as there are test digits, do the latent DDPM's samples come closer to the
    held-out q(z) than prior draws do: a smaller sliced W1, and in 8-D far more of them on q(z)'s support?"""
    d = pair.latent_dim
    sw_ours, sw_prior, on_ours, on_prior = _distances(pair, split)
    assert sw_ours < MAX_SW_RATIO[d] * sw_prior, (sw_ours, sw_prior)
    if d in MIN_SUPPORT_GAIN:
        assert on_ours > on_prior + MIN_SUPPORT_GAIN[d], (on_ours, on_prior)


def test_shuffled_latent_ddpm_fails_the_same_bars(pair, split, classifier):
    """Does the same latent DDPM with shuffled weights fail the class-coverage and the distance bars?"""
    broken = _shuffled(pair)
    x = broken.sample(N_SAMPLES, sampler="ddim", steps=DDIM_STEPS, generator=torch.Generator().manual_seed(SEED)).x
    _, tv = _label(classifier, x)
    sw_ours, sw_prior, on_ours, on_prior = _distances(broken, split)
    assert tv > MAX_TV, tv
    assert sw_ours > MAX_SW_RATIO[pair.latent_dim] * sw_prior, (sw_ours, sw_prior)
    assert on_ours < on_prior, (on_ours, on_prior)


def test_vae_training_is_seeded_and_resumes_exactly(tmp_path):
    """Do 20 VAE steps, then --resume to 40, give the weights and loss log of 40 steps in one go, and are they the
    ones a second run with the same seed gives?"""
    short = {"latent_dim": 2, "batch_size": 16, "evaluate": False}
    for run in ("a", "b"):
        train_vae.train(train_vae.VAEConfig(**short, steps=40, out=str(tmp_path / run)), progress=False)
    train_vae.train(train_vae.VAEConfig(**short, steps=20, out=str(tmp_path / "split")), progress=False)
    train_vae.train(train_vae.VAEConfig(**short, steps=40, out=str(tmp_path / "split")), resume=True, progress=False)
    digests = {run: json.loads((tmp_path / f"{run}.json").read_text())["sha256"] for run in ("a", "b", "split")}
    assert len(set(digests.values())) == 1, digests
    assert (tmp_path / "a.loss.csv").read_text() == (tmp_path / "split.loss.csv").read_text()


def test_latent_data_needs_its_vae(tmp_path):
    """Is --data latent without --vae (or --vae with other data) refused with a ValueError naming the setting?"""
    with pytest.raises(ValueError, match="--vae"):
        train.TrainConfig(data="latent", out=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="--vae"):
        train.TrainConfig(data="moons", vae=str(LATENT_DIR / "vae_z2"), out=str(tmp_path / "x"))
