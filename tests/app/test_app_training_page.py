"""The Training page (issue 13, item 4): Algorithm 1 live, by the Trainer that `python -m reference.training.ddpm` runs."""
import json
import time

import numpy as np
import pyarrow as pa
import pytest
import torch
from test_app import _keep_torch_threads, errors, figure, open_page, y_of  # noqa: F401 (autouse fixture)

from reference.training import LossLog, TrainConfig, Trainer

SETTINGS = {"data": "moons", "schedule": "cosine", "T": 1000, "batch_size": 256, "lr": 1e-3, "ema_decay": 0.995,
            "model_config": {"hidden": 64}, "seed": 0}  # the page's defaults


@pytest.fixture
def pages():
    """Open the Training page; afterwards stop every run a test left training."""
    opened = []

    def open_training(**state):
        at = open_page("training", **state)
        opened.append(at)
        return at

    yield open_training
    for at in opened:
        if "training_run" in at.session_state:
            at.session_state["training_run"].stop()


def wait_until(at, done, timeout_s: float = 60.0):
    """Rerun the page every 0.2 s (as its timed redraw would) until done(run) holds, then once more, to draw what
    the thread logged after the page's last look."""
    deadline = time.monotonic() + timeout_s
    while True:
        time.sleep(0.2)
        run = at.session_state["training_run"]
        if done(run):
            break
        at.run()
        assert not at.exception, at.exception
        assert time.monotonic() < deadline, f"still at step {run.steps_done} after {timeout_s} s"
    at.run()
    assert not at.exception, at.exception
    return run


def buttons(at) -> dict[str, bool]:
    """Label -> enabled, for Start, Stop and Resume."""
    return {b.label: not b.disabled for b in at.button}


def loss_curve(at) -> tuple[np.ndarray, np.ndarray]:
    """The loss curve's (steps, losses), read back from the Vega-Lite chart's Arrow data."""
    charts = [e for e in at.main if e.type == "vega_lite_chart"]
    assert len(charts) == 1
    data = pa.ipc.open_stream(charts[0].proto.data.data).read_pandas()
    assert json.loads(charts[0].proto.spec)["title"] == "The training loss"
    return data["step"].to_numpy(), data["loss"].to_numpy()


def uninterrupted(steps: int) -> tuple[Trainer, list[tuple[int, float]]]:
    """The page's default run taken straight to `steps` here, with the loss log's rows, on the app's one thread."""
    torch.set_num_threads(1)  # as the app's; the autouse fixture gives the test's back
    trainer, log, rows = Trainer(TrainConfig(**SETTINGS, steps=steps, out="unused")), LossLog(10), []
    for _ in range(steps):
        loss = trainer.step()
        row = log.add(trainer.steps_done, loss, last=trainer.steps_done == steps)
        rows += [] if row is None else [row]
    return trainer, rows


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for (key, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), key


def test_default_view_shows_algorithm_1_and_the_command(pages):
    """Before Start: is Algorithm 1 rendered as LaTeX, the data drawn, Stop and Resume disabled, and the command
    line the page shows the TrainConfig's own?"""
    at = pages()
    assert any(r"\textbf{repeat}" in e.value and r"\varepsilon_\theta" in e.value for e in at.latex)
    assert len(figure(at, "fig_training_data")["data"]) == 1
    assert buttons(at) == {"Start": True, "Stop": False, "Resume": False}
    command = TrainConfig(**SETTINGS, steps=2000, threads=1, out="runs/moons_live").command()
    assert [c.value for c in at.code if c.language == "bash"] == [command]


def test_a_short_run_falls_draws_samples_and_equals_the_command_line(pages):
    """Do 200 steps draw a falling loss curve (a row every 10 steps) and samples at steps 0, 100 and 200 over the
    data, with rows and EMA weights bit for bit those of the command line's Trainer?"""
    at = pages(training_steps=200, training_every=100)
    at.button(key="training_start").click().run()
    assert not at.exception, at.exception
    run = wait_until(at, lambda r: not r.running)
    assert run.error is None and run.steps_done == 200
    steps, loss = loss_curve(at)
    np.testing.assert_array_equal(steps, np.arange(10, 201, 10))
    assert loss[-5:].mean() < 0.8 * loss[:5].mean()
    assert [s.step for s in run.snapshots] == [0, 100, 200]
    samples = figure(at, "fig_training_samples")
    assert [tr["name"] for tr in samples["data"]] == ["data", "samples (EMA model, DDIM)"]
    assert len(y_of(samples["data"][1])) == 500
    assert samples["layout"]["title"]["text"] == "Samples after 200 steps"
    assert at.metric[0].value == "200 of 200" and float(at.metric[1].value) > 0
    assert buttons(at) == {"Start": True, "Stop": False, "Resume": False}
    trainer, rows = uninterrupted(200)
    assert run.rows == rows
    assert_same_weights(run.trainer.ema, trainer.ema)


def test_stop_and_resume_continue_from_the_same_step(pages):
    """Stopped mid-run, does the step count hold still (also over reruns and a changed setting), and does Resume
    continue from it to the new total, ending with the rows and weights of one uninterrupted run?"""
    at = pages(training_steps=5000)
    at.button(key="training_start").click().run()
    run = wait_until(at, lambda r: r.steps_done >= 30)
    assert buttons(at) == {"Start": False, "Stop": True, "Resume": False}
    at.button(key="training_stop").click().run()
    assert not at.exception, at.exception
    stopped = run.steps_done
    assert 30 <= stopped < 5000 and not run.running
    assert at.metric[0].value == f"{stopped} of 5000"
    time.sleep(0.5)
    at.number_input(key="training_seed").set_value(3).run()  # a rerun with another setting keeps the run
    assert at.session_state["training_run"] is run and run.steps_done == stopped
    assert "seed 0" in next(c.value for c in at.caption if c.value.startswith("This run"))
    at.number_input(key="training_steps").set_value(stopped + 100).run()
    assert buttons(at) == {"Start": True, "Stop": False, "Resume": True}
    at.button(key="training_resume").click().run()
    run = wait_until(at, lambda r: not r.running)
    assert at.session_state["training_run"] is run and run.error is None
    assert run.steps_done == stopped + 100
    steps, _ = loss_curve(at)
    assert steps[0] == 10 and steps[-1] == stopped + 100 and len(steps) == len(run.rows)
    trainer, rows = uninterrupted(stopped + 100)
    assert run.rows == rows
    assert_same_weights(run.trainer.ema, trainer.ema)


@pytest.mark.parametrize("key, value, message", [("training_lr", 0.0, "lr must be positive; got 0.0"),
                                                 ("training_T", 0, "T must be")])
def test_bad_settings_are_named(pages, key, value, message):
    """Does a learning rate of 0 or T = 0 show the reference's error instead of a traceback?"""
    at = pages(**{key: value})
    assert any(message in e for e in errors(at)), errors(at)
    assert not at.button


def test_a_run_nobody_watches_pauses_itself_and_resumes(monkeypatch):
    """Left unwatched longer than IDLE_S, does the thread pause by itself at a step, and does start() then finish the
    run with the rows and weights of an uninterrupted one?"""
    from lab_app.server import training as training_run

    run = training_run.TrainingRun(Trainer(TrainConfig(**SETTINGS, steps=40, out="unused")), total=40,
                                   sample_every=50, n_samples=10, ddim_steps=5, clip_x0=4.0)
    monkeypatch.setattr(training_run, "IDLE_S", -1.0)  # already unwatched
    run.start()
    run.wait(10)
    assert run.paused_idle and run.steps_done == 0 and [s.step for s in run.snapshots] == [0]
    monkeypatch.setattr(training_run, "IDLE_S", 60.0)
    run.start()
    run.wait(60)
    assert not run.paused_idle and run.steps_done == 40 and [s.step for s in run.snapshots] == [0, 40]
    trainer, rows = uninterrupted(40)
    assert run.rows == rows
    assert_same_weights(run.trainer.ema, trainer.ema)


def slotted_runs(slots, count: int, steps: int = 5000) -> list:
    from lab_app.server.training import TrainingRun

    return [TrainingRun(Trainer(TrainConfig(**SETTINGS, steps=steps, out="unused")), total=steps, sample_every=1000,
                        n_samples=10, ddim_steps=5, clip_x0=4.0, slots=slots) for _ in range(count)]


def until(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_one_training_slot_lets_one_run_step_and_the_others_wait_in_order():
    """With one slot, do later runs wait without a step, 0 and 1 runs ahead, and does each start in turn as the one
    before it stops, every slot given back at the end?"""
    from lab_app.server.training import TrainingSlots

    slots = TrainingSlots(1)
    first, second, third = runs = slotted_runs(slots, 3)
    try:
        first.start()
        until(lambda: first.steps_done > 0)
        second.start()
        until(lambda: second.waiting_ahead == 0)
        third.start()
        until(lambda: third.waiting_ahead == 1)
        assert second.running and third.running and second.steps_done == third.steps_done == 0
        assert slots.holders == {first} and first.waiting_ahead is None
        first.stop()
        until(lambda: second.steps_done > 0)
        assert slots.holders == {second} and third.waiting_ahead == 0 and third.steps_done == 0
        second.stop()
        until(lambda: third.steps_done > 0)
    finally:
        for run in runs:
            run.stop()
    assert slots.holders == set() and slots.waiting == []


def test_abandoned_runs_give_their_slot_and_their_place_back():
    """Does a waiting run whose page is gone (not drawn for IDLE_S) leave the line, and a training one whose page is
    gone pause and free its slot?"""
    from lab_app.server.training import IDLE_S, TrainingSlots

    slots = TrainingSlots(1)
    holder, waiter = slotted_runs(slots, 2, steps=20_000)
    try:
        holder.start()
        until(lambda: holder.steps_done > 0)
        waiter.start()
        until(lambda: waiter.waiting_ahead == 0)
        waiter.seen -= 2 * IDLE_S  # the tab was closed
        waiter.wait(5)
        assert not waiter.running and waiter.paused_idle and slots.waiting == [] and waiter.steps_done == 0
        holder.seen -= 2 * IDLE_S
        holder.wait(5)
        assert not holder.running and holder.paused_idle and slots.holders == set()
    finally:
        holder.stop()
        waiter.stop()


def test_the_page_shows_a_run_waiting_for_a_slot(pages):
    """While every training slot of the server is taken, does Start show the run waiting, and does it train once a
    slot frees?"""
    from lab_app.views import training as training_view

    slots = training_view.training_slots()
    others = [object() for _ in range(slots.limit)]  # stand-ins for other students' runs
    slots.holders.update(others)
    try:
        at = pages(training_steps=50)
        at.button(key="training_start").click().run()
        assert not at.exception, at.exception
        assert any("Waiting for a free training slot" in i.value and "0 runs ahead of yours" in i.value for i in at.info)
        assert at.session_state["training_run"].steps_done == 0
    finally:
        for other in others:
            slots.release(other)
    run = wait_until(at, lambda r: not r.running)
    assert run.steps_done == 50 and not at.info
