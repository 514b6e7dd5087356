"""Speed of the shipped checkpoints on default_device(): training steps/s (Algorithm 1 with Adam, the manifest's
batch size) and the wall time of a 1000-step DDPM sampling run (Algorithm 2) and a 50-step DDIM run, each the
best of `--repeats` runs (the least disturbed by other work on a shared machine). Prints numbers; not a test.

    python -m bench.bench_models [--threads N] [--repeats R]
"""
from __future__ import annotations

import argparse
import copy
import time

import torch

from reference import default_device, device_name, load_checkpoint, sample_ddim, sample_ddpm, weighted_eps_loss
from reference.checkpoints import available_checkpoints

SAMPLES = {"digits": 64}  # DDPM batch per checkpoint; toy sets: 2000 points, the Streamlit app's size
TOY_SAMPLES = 2000
TRAIN_STEPS, WARMUP_STEPS = 50, 5


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_steps_per_second(ckpt, device: torch.device) -> float:
    """Steps/s of L_simple + Adam on a fresh copy of the model, batch of the manifest's size."""
    model = copy.deepcopy(ckpt.model).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    batch = ckpt.manifest["batch_size"]
    shape = (batch, 2) if ckpt.manifest["data"] != "digits" else (batch, 1, 8, 8)
    x0 = torch.randn(shape, device=device)
    for i in range(WARMUP_STEPS + TRAIN_STEPS):
        if i == WARMUP_STEPS:
            _sync(device)
            start = time.perf_counter()
        t = torch.randint(ckpt.schedule.T, (batch,), device=device)
        loss = weighted_eps_loss(model, x0, t, ckpt.schedule, torch.randn_like(x0)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    return TRAIN_STEPS / (time.perf_counter() - start)


def best_time(fn, repeats: int) -> float:
    """The shortest wall time of `repeats` calls of fn()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure; the best is printed")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = default_device()
    print(f"device: {device_name(device)}; torch {torch.__version__}; CPU threads {torch.get_num_threads()}; "
          f"best of {args.repeats}")
    print(f"{'checkpoint':<13} {'params':>8} {'train steps/s':>14} {'DDPM 1000 steps':>22} {'DDIM 50 steps':>20}")
    for name in available_checkpoints():
        ckpt = load_checkpoint(name, device)
        n = SAMPLES.get(name, TOY_SAMPLES)
        shape = (n, 2) if ckpt.manifest["data"] != "digits" else (n, 1, 8, 8)
        generator = torch.Generator(device=device).manual_seed(0)
        steps_per_s = max(train_steps_per_second(ckpt, device) for _ in range(args.repeats))
        ddpm = best_time(lambda: (sample_ddpm(ckpt.model, shape, ckpt.schedule, generator=generator),
                                  _sync(device)), args.repeats)
        ddim = best_time(lambda: (sample_ddim(ckpt.model, shape, ckpt.schedule, steps=50, generator=generator),
                                  _sync(device)), args.repeats)
        print(f"{name:<13} {ckpt.manifest['param_count']:>8} {steps_per_s:>14.1f} "
              f"{ddpm:>11.2f} s ({n:>4} x0) {ddim:>9.2f} s ({n:>4} x0)")


if __name__ == "__main__":
    main()
