"""Benchmarks of the reference core (prints numbers; not a test).

(a) Per-step cost of sample_ddpm's loop against a loop over diffusers' DDPMScheduler.step, in the same run:
    first with a null model (returns a fixed ε, so only the loop's own work is timed: the overhead ratio), then with
    the same tiny MLP in both (the whole step).
(b) The time for all T = 1000 terms of vlb_terms on 256 2-D points with the same tiny model.

Run: .venv/bin/python -m bench.bench_reference
"""
from __future__ import annotations

import statistics
import time

import torch
from diffusers import DDPMScheduler

from reference import Schedule, default_device, device_name, sample_ddpm, vlb_terms

T, B, REPEATS = 1000, 256, 5


class TinyMLP(torch.nn.Module):
    """2 → 64 → 64 → 2 with the timestep as an input feature: a model cheap enough that loop overhead shows."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 64), torch.nn.SiLU(), torch.nn.Linear(64, 64),
                                       torch.nn.SiLU(), torch.nn.Linear(64, 2))

    def forward(self, x_t, t):
        return self.net(torch.cat([x_t, (t.to(x_t.dtype) / T)[:, None]], 1))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def best_of(fn, device) -> float:
    times = []
    for _ in range(REPEATS):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def loops(model, schedule, scheduler, x_T, device):
    """The two sampling loops over the same model, x_T and noise stream, as zero-argument callables."""
    def ours():
        sample_ddpm(model, x_T.shape, schedule, x_T=x_T, variance="fixed_small",
                    generator=torch.Generator(device=device).manual_seed(0))

    def theirs():
        g = torch.Generator(device=device).manual_seed(0)
        with torch.no_grad():
            x = x_T
            for t in scheduler.timesteps:
                t = int(t)
                x = scheduler.step(model(x, torch.full((x.shape[0],), t, device=device)), t, x, generator=g).prev_sample

    return ours, theirs


def main() -> None:
    device = default_device()
    torch.manual_seed(0)
    schedule = Schedule.from_name("linear", T).to(device)
    scheduler = DDPMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False,
                              variance_type="fixed_small")
    x_T = torch.randn(B, 2, device=device)
    eps = torch.randn(B, 2, device=device)
    per_step = lambda s: 1e6 * s / T  # noqa: E731  µs per step
    print(f"device: {device_name(device)}; torch threads: {torch.get_num_threads()}; T = {T}, batch {B} 2-D points; "
          f"best of {REPEATS} (median)")
    tiny = TinyMLP().to(device).eval()
    for label, model in [("null model (loop only)", lambda x_t, t: eps), ("tiny MLP (whole step)", tiny)]:
        (o_best, o_med), (d_best, d_med) = (best_of(f, device) for f in loops(model, schedule, scheduler, x_T, device))
        print(f"{label:24s} sample_ddpm {per_step(o_best):6.1f} µs/step ({per_step(o_med):.1f}), "
              f"diffusers {per_step(d_best):6.1f} µs/step ({per_step(d_med):.1f}), ratio {o_best / d_best:.2f}")
    print("goal: loop-overhead ratio (null model) ≤ 0.5")

    x0 = torch.randn(B, 2, device=device)
    best, med = best_of(lambda: vlb_terms(tiny, x0, schedule), device)
    print(f"vlb_terms, all T = {T} terms on {B} 2-D points: {best:.3f} s (median {med:.3f} s; goal < 1 s on CPU)")


if __name__ == "__main__":
    main()
