"""Algorithm 1's speed on the command line and in the Training page, the same Trainer in both. Prints one line each:

    .venv/bin/python bench/bench_training.py            # one torch thread, as the app runs by default

1. The page's default view (before Start): its first run in this process (torch and reference already
   imported, the lab's modules not) and a rerun.
2. The command line: `train()` on the page's default settings (moons, cosine, T = 1000, MLP 64×3, batch 256), 2000
   steps, --no-evaluate, whole call and steps per second.
3. The page: Start on the same settings, the page redrawn every 0.4 s (as its timed fragment would) until the run
   ends; the page's own figure (steps per second of Trainer.step) and steps over the wall time from Start.
4. The command line again, to bracket the page's run against the machine's load.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import reference  # noqa: E402
from reference.training import TrainConfig, train  # noqa: E402

STEPS = 2000
REDRAW_S = 0.4  # lab_app/pages/training.py UPDATE_S


def command_line(out: Path) -> str:
    cfg = TrainConfig(data="moons", out=str(out), steps=STEPS, model_config={"hidden": 64}, threads=1, evaluate=False)
    start = time.perf_counter()
    train(cfg, progress=False)
    seconds = time.perf_counter() - start
    return f"{seconds:.2f} s, {STEPS / seconds:.0f} steps/s (load average {os.getloadavg()[0]:.1f})"


def main() -> None:
    os.environ["DDPM_LAB_THREADS"] = "1"
    torch.set_num_threads(1)
    print(f"device {reference.device_name()}, torch {torch.__version__}, 1 thread, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.switch_page("lab_app/pages/training.py")
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    start = time.perf_counter()
    at.run()
    print(f"1. default view: {first:.2f} s as the process's first page (torch already imported), "
          f"{time.perf_counter() - start:.3f} s to rerun")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"2. command line, {STEPS} steps: {command_line(Path(tmp) / 'a')}")
        at.number_input(key="training_steps").set_value(STEPS).run()
        start = time.perf_counter()
        at.button(key="training_start").click().run()
        run = at.session_state["training_run"]
        while run.running:
            time.sleep(REDRAW_S)
            at.run()
        wall = time.perf_counter() - start
        print(f"3. page, {run.steps_done} steps: {wall:.2f} s from Start, {run.steps_done / wall:.0f} steps/s; the "
              f"page shows {run.steps_per_second():.0f} (Trainer.step alone; DDIM snapshots took "
              f"{run.sample_seconds:.2f} s) (load average {os.getloadavg()[0]:.1f})")
        print(f"4. command line again: {command_line(Path(tmp) / 'b')}")


if __name__ == "__main__":
    main()
