"""Training with label dropout (Ho & Salimans 2022, Algorithm 1): are the labels the data's, dropped to ∅ at the
recorded rate, is a conditional run reproducible from its recorded command, and are unconditional runs untouched?"""
import json
import shlex

import pytest
import torch
from safetensors.torch import load_file

from reference.checkpoints import load_checkpoint
from reference.data import make_labelled_toy
from reference.data import TOY_TRAIN_N, TOY_TRAIN_SEED
from reference.training.ddpm import main
from reference.training import TrainConfig, Trainer, train

SHORT = {"data": "moons", "schedule": "cosine", "T": 50, "batch_size": 32, "evaluate": False}
COND = {**SHORT, "num_classes": 2, "label_drop": 0.25}


class Recorder(torch.nn.Module):
    """Wraps the trainer's network, recording the labels of every forward pass."""

    def __init__(self, model):
        super().__init__()
        self.model, self.config, self.labels = model, model.config, []

    def forward(self, x_t, t, y=None):
        self.labels.append(y.clone())
        return self.model(x_t, t, y)


def test_labels_are_the_datas_dropped_at_the_recorded_rate():
    """Over 40 steps of 32 rows, is y the drawn rows' moon or ∅ = 2, ∅ at a rate near label_drop = 0.25, and do
    the rows' x0 and labels come from the same draw?"""
    trainer = Trainer(TrainConfig(**COND, steps=40, out="unused"))
    labels = make_labelled_toy("moons", TOY_TRAIN_N, seed=TOY_TRAIN_SEED)[1]
    assert torch.equal(trainer.y_all, labels)
    trainer.model = Recorder(trainer.model)
    dropped = kept_right = 0
    for _ in range(40):
        generator = torch.Generator().set_state(trainer.generator.get_state())
        idx = torch.randint(len(trainer.x0_all), (32,), generator=generator)  # the rows the step will draw
        trainer.step()
        y = trainer.model.labels[-1]
        dropped += int((y == 2).sum())
        kept_right += int((y == labels[idx]).sum())
    assert dropped + kept_right == 40 * 32  # every label is the row's own or ∅
    assert 0.19 < dropped / (40 * 32) < 0.31, dropped  # binomial(1280, 0.25): sd 0.012


def test_conditional_run_is_reproducible_from_its_command(tmp_path):
    """Does the manifest record num_classes and label_drop in its command, and does that command retrain the same
    weights, label table included?"""
    manifest = train(TrainConfig(**COND, steps=30, seed=3, out=str(tmp_path / "first")), progress=False)
    assert manifest["num_classes"] == 2 and manifest["label_drop"] == 0.25 and manifest["guidance"] is None
    assert manifest["model"]["config"]["num_classes"] == 2
    args = shlex.split(manifest["command"])
    assert args[args.index("--num-classes") + 1] == "2" and args[args.index("--label-drop") + 1] == "0.25"
    args[args.index("--out") + 1] = str(tmp_path / "again")
    main(args[3:])
    first, again = load_file(tmp_path / "first.safetensors"), load_file(tmp_path / "again.safetensors")
    assert "label_emb.weight" in first and first.keys() == again.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert load_checkpoint(tmp_path / "again", "cpu").model.config["num_classes"] == 2


def test_conditional_resume_equals_uninterrupted(tmp_path):
    """Do 10 steps and a resume to 20 give the weights of 20 steps in one go (the label coin flips included)?"""
    train(TrainConfig(**COND, steps=20, out=str(tmp_path / "straight")), progress=False)
    train(TrainConfig(**COND, steps=10, save_every=10, out=str(tmp_path / "split")), progress=False)
    train(TrainConfig(**COND, steps=20, save_every=10, out=str(tmp_path / "split")), resume=True, progress=False)
    a, b = load_file(tmp_path / "straight.safetensors"), load_file(tmp_path / "split.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_unconditional_manifest_and_command_as_before(tmp_path):
    """Does an unconditional run record neither num_classes nor label_drop, in its manifest, config or command?"""
    manifest = train(TrainConfig(**SHORT, steps=5, out=str(tmp_path / "plain")), progress=False)
    assert "num_classes" not in manifest and "label_drop" not in manifest and "guidance" not in manifest
    assert "num_classes" not in manifest["model"]["config"]
    assert "--num-classes" not in manifest["command"] and "--label-drop" not in manifest["command"]
    assert "label_emb.weight" not in load_file(tmp_path / "plain.safetensors")
    assert json.loads((tmp_path / "plain.json").read_text())["sampling"]["decoder"] == "continuous"


@pytest.mark.parametrize("settings, fragment", [
    ({"num_classes": 3}, "got 3 for data 'moons'"),
    ({"data": "swiss_roll", "num_classes": 2}, "got 2 for data 'swiss_roll'"),
    ({"label_drop": 0.1}, "label_drop"),
    ({"num_classes": 2, "label_drop": 1.0}, "got 1.0"),
])
def test_bad_conditioning_settings_are_named(settings, fragment):
    """Does a class count the data lacks, or a label drop without classes or of 1, raise a ValueError naming it?"""
    with pytest.raises(ValueError, match=fragment):
        TrainConfig(**{**SHORT, **settings, "steps": 10, "out": "unused"})
