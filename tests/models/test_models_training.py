"""Is training (Algorithm 1) seeded and reproducible bit for bit, does --resume continue exactly, and does the
recorded command retrain the same weights?"""
import csv
import json
import shlex

import pytest
import torch
from safetensors.torch import load_file

from reference.checkpoints import load_checkpoint
from reference.training.ddpm import main
from reference.training import LossLog, TrainConfig, Trainer, train

SHORT = {"data": "moons", "schedule": "cosine", "T": 50, "batch_size": 32, "evaluate": False}


def _weights(out):
    return load_file(f"{out}.safetensors")


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_same_seed_gives_bit_identical_weights_and_log(tmp_path):
    """Do two short runs with the same seed give identical EMA weights and identical loss logs?"""
    for run in ("a", "b"):
        train(TrainConfig(**SHORT, steps=40, seed=5, out=str(tmp_path / run)), progress=False)
    _assert_same(_weights(tmp_path / "a"), _weights(tmp_path / "b"))
    assert (tmp_path / "a.loss.csv").read_text() == (tmp_path / "b.loss.csv").read_text()


def test_other_seed_gives_other_weights(tmp_path):
    """Does changing only the seed change the weights?"""
    for seed in (0, 1):
        train(TrainConfig(**SHORT, steps=10, seed=seed, out=str(tmp_path / f"s{seed}")), progress=False)
    a, b = _weights(tmp_path / "s0"), _weights(tmp_path / "s1")
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_resume_equals_uninterrupted_run(tmp_path):
    """Do 20 steps, then --resume to 40, give the weights and loss log of 40 steps in one go?"""
    train(TrainConfig(**SHORT, steps=40, out=str(tmp_path / "straight")), progress=False)
    train(TrainConfig(**SHORT, steps=20, out=str(tmp_path / "split")), progress=False)
    halfway = _weights(tmp_path / "split")
    train(TrainConfig(**SHORT, steps=40, out=str(tmp_path / "split")), resume=True, progress=False)
    resumed = _weights(tmp_path / "split")
    assert any(not torch.equal(halfway[k], resumed[k]) for k in halfway)  # it did train further
    _assert_same(_weights(tmp_path / "straight"), resumed)
    assert (tmp_path / "straight.loss.csv").read_text() == (tmp_path / "split.loss.csv").read_text()


def test_resume_with_other_settings_is_refused(tmp_path):
    """Does --resume with a different learning rate raise a ValueError naming lr?"""
    train(TrainConfig(**SHORT, steps=10, out=str(tmp_path / "run")), progress=False)
    with pytest.raises(ValueError, match="lr"):
        train(TrainConfig(**SHORT, steps=20, lr=5e-4, out=str(tmp_path / "run")), resume=True, progress=False)


def test_resume_without_state_is_refused(tmp_path):
    """Does --resume with no saved state raise FileNotFoundError naming the state file?"""
    with pytest.raises(FileNotFoundError, match="state.safetensors"):
        train(TrainConfig(**SHORT, steps=10, out=str(tmp_path / "none")), resume=True, progress=False)


def test_loss_log_falls(tmp_path):
    """Does L_simple in the CSV log fall over 300 steps, and does the manifest's final loss match the log?"""
    manifest = train(TrainConfig(**{**SHORT, "T": 100, "batch_size": 128}, steps=300, out=str(tmp_path / "run")),
                     progress=False)
    with open(tmp_path / "run.loss.csv") as f:
        rows = list(csv.DictReader(f))
    losses = [float(r["loss"]) for r in rows]
    assert [int(r["step"]) for r in rows] == list(range(10, 301, 10))
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5
    assert manifest["final_loss"] == pytest.approx(sum(losses[-10:]) / 10, rel=1e-5)


def test_recorded_command_retrains_the_same_weights(tmp_path):
    """Does running the manifest's command (with only --out changed) reproduce the checkpoint bit for bit?"""
    train(TrainConfig(**SHORT, steps=30, seed=2, out=str(tmp_path / "first")), progress=False)
    command = load_checkpoint(tmp_path / "first", "cpu").manifest["command"]
    args = shlex.split(command)
    assert args[:3] == ["python", "-m", "reference.training.ddpm"]
    args[args.index("--out") + 1] = str(tmp_path / "again")
    main(args[3:])
    _assert_same(_weights(tmp_path / "first"), _weights(tmp_path / "again"))
    first, again = (json.loads((tmp_path / f"{r}.json").read_text()) for r in ("first", "again"))
    assert first["sha256"] == again["sha256"]


@pytest.mark.parametrize("field, value", [("data", "mnist"), ("steps", 0), ("T", -1), ("ema_decay", 1.0),
                                          ("schedule", "cosinus"), ("save_every", 15)])
def test_bad_settings_are_named(tmp_path, field, value):
    """Does a bad setting raise a ValueError naming the value?"""
    with pytest.raises(ValueError, match=repr(value)):
        TrainConfig(**{**SHORT, "steps": 10, field: value, "out": str(tmp_path / "x")})


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path, monkeypatch):
    """Killed at step 33 with state saved at step 20, does --resume to 40 match 40 uninterrupted steps?"""
    import reference.training.trainer as train_module

    train(TrainConfig(**SHORT, steps=40, out=str(tmp_path / "straight")), progress=False)
    calls = {"n": 0}
    real_loss = train_module.simple_loss

    def dies_at_step_33(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 33:
            raise KeyboardInterrupt
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(train_module, "simple_loss", dies_at_step_33)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**SHORT, steps=40, save_every=20, out=str(tmp_path / "killed")), progress=False)
    monkeypatch.undo()
    assert not (tmp_path / "killed.safetensors").exists()
    train(TrainConfig(**SHORT, steps=40, save_every=20, out=str(tmp_path / "killed")), resume=True, progress=False)
    _assert_same(_weights(tmp_path / "straight"), _weights(tmp_path / "killed"))
    assert (tmp_path / "straight.loss.csv").read_text() == (tmp_path / "killed.loss.csv").read_text()


# --- one loop for the command line and the Training page: Trainer.step ------------------------------------------


def test_train_is_trainer_steps(tmp_path):
    """Do 40 steps of train() and 40 calls of Trainer.step give the same EMA weights and the same loss-log rows?"""
    cfg = TrainConfig(**SHORT, steps=40, seed=4, out=str(tmp_path / "cli"))
    train(cfg, progress=False)
    trainer, log, rows = Trainer(cfg), LossLog(cfg.log_every), []
    for _ in range(cfg.steps):
        loss = trainer.step()
        row = log.add(trainer.steps_done, loss, last=trainer.steps_done == cfg.steps)
        rows += [] if row is None else [f"{row[0]},{row[1]:.6f}"]
    assert trainer.steps_done == 40
    _assert_same(_weights(tmp_path / "cli"), {k: v.cpu().contiguous() for k, v in trainer.ema.state_dict().items()})
    assert (tmp_path / "cli.loss.csv").read_text().splitlines()[1:] == rows


def test_trainer_resumed_from_its_state_equals_uninterrupted(tmp_path):
    """Stopped at step 25 and saved, does a fresh Trainer loaded from that state reach step 40 with the model, EMA,
    Adam moments and generator of 40 uninterrupted steps, and log the same losses?"""
    cfg = TrainConfig(**SHORT, steps=40, out=str(tmp_path / "run"))
    straight = Trainer(cfg)
    straight_losses = [straight.step() for _ in range(40)]
    first = Trainer(cfg)
    losses = [first.step() for _ in range(25)]
    first.save_state(tmp_path / "run.state.safetensors")
    second = Trainer(cfg)
    second.load_state(tmp_path / "run.state.safetensors")
    assert second.steps_done == 25
    losses += [second.step() for _ in range(15)]
    assert losses == straight_losses
    for a, b in ((straight.model, second.model), (straight.ema, second.ema)):
        _assert_same(a.state_dict(), b.state_dict())
    for a, b in zip(straight.optimizer.state.values(), second.optimizer.state.values()):
        _assert_same(a, b)
    assert torch.equal(straight.generator.get_state(), second.generator.get_state())


def test_trainer_leaves_the_global_generator_alone():
    """Does building a Trainer (seeded weights) leave torch's global generator where it was, for the lab's other
    sessions?"""
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    Trainer(TrainConfig(**SHORT, steps=1, out="unused"))
    assert torch.equal(torch.rand(4), expected)
