"""Do the shipped checkpoints load as documented, and does loading refuse missing, corrupt or mismatched files?"""
import hashlib
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from reference import Schedule
from reference.checkpoints import (TOY_DDIM_CLIP, WEIGHTS_DIR, CheckpointNotFoundError, Sampling, available_checkpoints,
                                  load_checkpoint)
from reference.data import TOY_DATASETS

SHIPPED = [*TOY_DATASETS, "digits"]


def test_every_promised_checkpoint_ships():
    """Are moons, swiss_roll, 8gaussians, checkerboard and digits all available?"""
    assert set(SHIPPED) <= set(available_checkpoints())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_are_small_and_hash_matches(name):
    """Is each weights file under 5 MB, with the manifest's sha256 computed independently here?"""
    weights = WEIGHTS_DIR / f"{name}.safetensors"
    manifest = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    assert weights.stat().st_size < 5 * 2**20
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == manifest["sha256"]


@pytest.mark.parametrize("name", SHIPPED)
def test_load_gives_eval_model_schedule_and_manifest(name):
    """Does load_checkpoint(name, "cpu") give an eval-mode model on the CPU, the manifest's schedule and counts?"""
    ckpt = load_checkpoint(name, "cpu")
    m = ckpt.manifest
    assert ckpt.name == name and m["data"] == name
    assert not ckpt.model.training
    assert all(p.device.type == "cpu" for p in ckpt.model.parameters())
    assert sum(p.numel() for p in ckpt.model.parameters()) == m["param_count"]
    assert type(ckpt.model).__name__ == m["model"]["class"]
    expected = Schedule.from_name(m["schedule"]["name"], T=m["T"], **m["schedule"]["params"])
    assert torch.equal(ckpt.schedule.betas, expected.betas) and ckpt.schedule.T == m["T"] == 1000
    shape = (3, 2) if name != "digits" else (3, 1, 8, 8)
    with torch.no_grad():
        assert ckpt.model(torch.zeros(shape), torch.tensor([0, 500, 999])).shape == shape
    for key in ("command", "steps", "seed", "final_loss", "bits_per_dim", "quality"):
        assert m[key] is not None, key
    assert m["command"].startswith("python -m reference.training.ddpm") and f"--data {name}" in m["command"]


def test_loaded_weights_equal_the_file():
    """Are the model's tensors exactly the ones stored in the safetensors file?"""
    ckpt = load_checkpoint("moons", "cpu")
    stored = load_file(str(WEIGHTS_DIR / "moons.safetensors"))
    for key, value in ckpt.model.state_dict().items():
        assert torch.equal(value, stored[key]), key


@pytest.fixture
def moons_copy(tmp_path):
    """A writable copy of the moons checkpoint: (stem path, manifest dict)."""
    for suffix in (".json", ".safetensors"):
        shutil.copy(WEIGHTS_DIR / f"moons{suffix}", tmp_path / f"moons{suffix}")
    return tmp_path / "moons", json.loads((tmp_path / "moons.json").read_text())


def test_load_by_path(moons_copy):
    """Does a path to a copy (with or without suffix) load like the shipped name?"""
    stem, _ = moons_copy
    for path in (stem, stem.with_suffix(".json"), str(stem.with_suffix(".safetensors"))):
        assert load_checkpoint(path, "cpu").name == "moons"


def test_unknown_name_lists_shipped():
    """Does an unknown name raise a FileNotFoundError that quotes it and lists the shipped names?"""
    with pytest.raises(CheckpointNotFoundError, match="'mooons'.*moons") as info:
        load_checkpoint("mooons")
    assert isinstance(info.value, FileNotFoundError)


def test_missing_weights_file(moons_copy):
    """Does a manifest without its weights file raise FileNotFoundError naming the weights path?"""
    stem, _ = moons_copy
    stem.with_suffix(".safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="moons.safetensors"):
        load_checkpoint(stem)


def test_missing_manifest(moons_copy):
    """Does a weights file without its manifest raise FileNotFoundError naming the manifest path?"""
    stem, _ = moons_copy
    stem.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="moons.json"):
        load_checkpoint(stem)


def test_corrupt_bytes_are_caught_by_hash(moons_copy):
    """Does flipping one byte of the weights raise a ValueError that says sha256 and corrupt?"""
    stem, _ = moons_copy
    weights = stem.with_suffix(".safetensors")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt.*sha256"):
        load_checkpoint(stem)


def test_truncated_file_with_matching_hash_is_refused(moons_copy):
    """If someone also updates the hash, is an unreadable file still a ValueError, not a crash?"""
    stem, manifest = moons_copy
    weights = stem.with_suffix(".safetensors")
    weights.write_bytes(weights.read_bytes()[:100])
    manifest["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="safetensors"):
        load_checkpoint(stem)


def test_config_mismatch_names_tensor_and_shapes(moons_copy):
    """Does a manifest whose config disagrees with the stored shapes raise ValueError naming a tensor?"""
    stem, manifest = moons_copy
    manifest["model"]["config"]["hidden"] *= 2
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    hidden = manifest["model"]["config"]["hidden"]
    with pytest.raises(ValueError, match=rf"does not match.*blocks\.0\.weight: file \({hidden // 2}, {hidden // 2}\) "
                                         rf"vs config \({hidden}, {hidden}\)"):
        load_checkpoint(stem)


def test_extra_tensor_in_file_is_refused(moons_copy):
    """Does a weights file with a tensor the model lacks (hash updated) raise ValueError naming it?"""
    stem, manifest = moons_copy
    weights = stem.with_suffix(".safetensors")
    tensors = load_file(str(weights)) | {"stowaway": torch.zeros(3)}
    save_file(tensors, str(weights))
    manifest["sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="stowaway"):
        load_checkpoint(stem)


@pytest.mark.parametrize("edit, fragment", [
    (lambda m: m.pop("sha256"), "sha256"),
    (lambda m: m["model"].update({"class": "Transformer"}), "Transformer"),
    (lambda m: m["schedule"].update({"name": "cosinus"}), "cosinus"),
])
def test_bad_manifest_fields_are_named(moons_copy, edit, fragment):
    """Do a missing key, an unknown model class or an unknown schedule raise ValueError naming it?"""
    stem, manifest = moons_copy
    edit(manifest)
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=fragment):
        load_checkpoint(stem)


def test_manifest_not_json(moons_copy):
    """Is a manifest that is not JSON a ValueError naming the file?"""
    stem, _ = moons_copy
    stem.with_suffix(".json").write_text("{not json")
    with pytest.raises(ValueError, match="moons.json.*not valid JSON"):
        load_checkpoint(stem)


@pytest.mark.parametrize("name", available_checkpoints())
def test_shipped_manifests_record_their_decoding(name):
    """Does every shipped checkpoint decode as its manifest's "sampling" entry says (where it has one), the digits'
    8-bit decoder and [−1, 1] and the 2-D sets' density with DDIM's ±4, as the lab chose before manifests held them?"""
    manifest = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    sampling = load_checkpoint(name, device="cpu").sampling
    assert manifest.get("sampling", sampling.to_manifest()) == sampling.to_manifest()
    if manifest["data"] == "digits":
        assert sampling == Sampling("discrete", 1.0, 1.0)
    else:
        assert sampling == Sampling("continuous", None, TOY_DDIM_CLIP)


def test_an_older_manifest_falls_back_to_its_datas_decoding(moons_copy):
    """Does a manifest written before the "sampling" key load, with the choices `Sampling.for_data` names?"""
    stem, manifest = moons_copy
    del manifest["sampling"]
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    assert load_checkpoint(stem).sampling == Sampling.for_data("moons") == Sampling("continuous", None, 4.0)


@pytest.mark.parametrize("entry, fragment", [
    ({"decoder": "continuous", "clip_x0": None}, "lacks the keys \\['ddim_clip_x0'\\]"),
    ({"decoder": "gaussian", "clip_x0": None, "ddim_clip_x0": 4.0}, "'gaussian'"),
    ({"decoder": "continuous", "clip_x0": -1.0, "ddim_clip_x0": 4.0}, "clip_x0 must be a positive number or null"),
    ({"decoder": "continuous", "clip_x0": None, "ddim_clip_x0": None}, "ddim_clip_x0 must be a positive number"),
])
def test_bad_sampling_entries_are_named(moons_copy, entry, fragment):
    """Is a bad "sampling" entry refused at load, naming the key or value?"""
    stem, manifest = moons_copy
    manifest["sampling"] = entry
    stem.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=fragment):
        load_checkpoint(stem)
