"""Speed of classifier-free guidance on default_device(): the Conditioning page's 16 guided digits (DDIM, 50 steps)
at w = 0 (one pass of B rows per step) and w > 0 (one batched pass of 2B), and the cost of one guided ε̃ call
against two separate passes, each the best of `--repeats` runs. Prints numbers; not a test.

    python -m bench.bench_guidance [--threads N] [--repeats R]
"""
from __future__ import annotations

import argparse
import time

import torch

from reference import default_device, device_name, guided_model, load_checkpoint, sample_ddim

N_DIGITS, DDIM_STEPS = 16, 50


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_of(fn, repeats: int, device: torch.device) -> float:
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = default_device()
    ckpt = load_checkpoint("digits_cond", device)
    y = torch.full((N_DIGITS,), 3, device=device)
    print(f"digits_cond on {device_name(device)}, {args.threads} thread(s), best of {args.repeats}")
    for w in (0.0, 2.0):
        seconds = best_of(lambda: sample_ddim(ckpt.model, (N_DIGITS, 1, 8, 8), ckpt.schedule, steps=DDIM_STEPS,
                                              clip_x0=1.0, y=y, guidance=w, device=device), args.repeats, device)
        print(f"  {N_DIGITS} digits, DDIM {DDIM_STEPS} steps, w = {w:g}: {seconds:.3f} s")
    x_t = torch.randn(N_DIGITS, 1, 8, 8, device=device)
    t = torch.full((N_DIGITS,), 500, device=device)
    null = torch.full_like(y, 10)
    with torch.no_grad():
        batched = best_of(lambda: guided_model(ckpt.model, y, 2.0)(x_t, t), 10 * args.repeats, device)
        separate = best_of(lambda: (ckpt.model(x_t, t, y), ckpt.model(x_t, t, null)), 10 * args.repeats, device)
    print(f"  one ε̃ call: batched 2B {1e3 * batched:.2f} ms, two passes of B {1e3 * separate:.2f} ms")


if __name__ == "__main__":
    main()
