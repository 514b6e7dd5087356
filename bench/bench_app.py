"""How long the lab's pages make a student wait, measured through Streamlit's AppTest (the script's own run time,
without the browser's drawing). Prints one line per target:

    .venv/bin/python bench/bench_app.py              # one torch thread, as the app runs by default
    .venv/bin/python bench/bench_app.py --threads 2    # as DDPM_LAB_THREADS=2 streamlit run streamlit_app.py

1. Schedule design: a rerun after a widget change (median and worst of several changes), target < 0.3 s.
2. ELBO inspection: the page's first run on its default model and batch, all T terms for both reverse
   variances, with empty caches, target < 3 s on a CPU.
3. Sampling: the page's default, 1000-step DDPM of 2000 points of the 2-D model, target < 3 s on a CPU.
4. Latent diffusion: the page's first run on its defaults, then the 8-D latent.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
import torch  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import reference  # noqa: E402


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; the app reads DDPM_LAB_THREADS, 1 unless set (default 1)")
    args = parser.parse_args()
    os.environ["DDPM_LAB_THREADS"] = str(args.threads)
    torch.set_num_threads(args.threads)
    print(f"device {reference.device_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.switch_page("lab_app/pages/schedule.py")
    timed_run(at)  # imports and first draw
    changes = [lambda: at.number_input(key="T_0").set_value(999), lambda: at.number_input(key="T_0").set_value(1000),
               lambda: at.slider(key="t_1000").set_value(600), lambda: at.selectbox(key="kind_1").set_value("sigmoid"),
               lambda: at.selectbox(key="schedule_dataset").set_value("swiss_roll"),
               lambda: at.radio(key="schedule_count").set_value(3), lambda: at.slider(key="t_1000").set_value(100)]
    times = []
    for change in changes:
        change()
        times.append(timed_run(at))
    print(f"schedule page, rerun after a widget change: median {statistics.median(times):.3f} s, "
          f"worst {max(times):.3f} s over {len(times)} changes (target < 0.3 s)")

    st.cache_data.clear()
    at.switch_page("lab_app/pages/elbo.py")
    seconds = timed_run(at)
    computed = at.caption[0].value
    print(f"ELBO page, first run (default model, batch and both variances, all T terms): {seconds:.2f} s "
          f"(target < 3 s); the page says: {computed}")

    st.cache_data.clear()
    at.switch_page("lab_app/pages/sampling.py")
    seconds = timed_run(at)
    print(f"sampling page, first run: {seconds:.2f} s; the page says: {at.caption[0].value} (target < 3 s)")

    st.cache_data.clear()
    at.switch_page("lab_app/pages/latent.py")
    seconds = timed_run(at)
    at.radio(key="latent_dim").set_value(8)
    seconds_8d = timed_run(at)
    print(f"latent diffusion page, first run (2-D latent, 32 digits per grid, DDIM 50 steps for both DDPMs, loading "
          f"the models, the digits and their classifier): {seconds:.2f} s; then the 8-D latent: {seconds_8d:.2f} s")


if __name__ == "__main__":
    main()
