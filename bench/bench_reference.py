"""Benchmarks of the reference core (prints numbers; not a test).

(a) Per-step overhead of sample_ddpm's loop against a loop over diffusers' DDPMScheduler.step, same tiny model,
    same run: each loop's time per step minus the model's own time per step, and their ratio.
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


def main() -> None:
    device = default_device()
    torch.manual_seed(0)
    model = TinyMLP().to(device).eval()
    schedule = Schedule.from_name("linear", T).to(device)
    scheduler = DDPMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False,
                              variance_type="fixed_small")
    x_T = torch.randn(B, 2, device=device)
    t_batches = [torch.full((B,), t, device=device) for t in range(T)]

    def model_only():
        with torch.no_grad():
            x = x_T
            for t in reversed(range(T)):
                x = model(x, t_batches[t])

    def ours():
        sample_ddpm(model, (B, 2), schedule, x_T=x_T, variance="fixed_small",
                    generator=torch.Generator(device=device).manual_seed(0))

    def theirs():
        g = torch.Generator(device=device).manual_seed(0)
        with torch.no_grad():
            x = x_T
            for t in scheduler.timesteps:
                x = scheduler.step(model(x, t_batches[int(t)]), int(t), x, generator=g).prev_sample

    print(f"device: {device_name(device)}; torch threads: {torch.get_num_threads()}; T = {T}, batch {B} 2-D points")
    (m_best, m_med), (o_best, o_med), (d_best, d_med) = (best_of(f, device) for f in (model_only, ours, theirs))
    per_step = lambda s: 1e6 * s / T  # noqa: E731  µs per step
    print(f"model alone:               {per_step(m_best):7.1f} µs/step (median {per_step(m_med):.1f})")
    print(f"sample_ddpm loop:          {per_step(o_best):7.1f} µs/step (median {per_step(o_med):.1f})")
    print(f"diffusers DDPMScheduler:   {per_step(d_best):7.1f} µs/step (median {per_step(d_med):.1f})")
    ours_overhead, theirs_overhead = per_step(o_best - m_best), per_step(d_best - m_best)
    print(f"loop overhead (loop − model): ours {ours_overhead:.1f} µs/step, diffusers {theirs_overhead:.1f} µs/step, "
          f"ratio {ours_overhead / theirs_overhead:.2f} (goal ≤ 0.5)")

    x0 = torch.randn(B, 2, device=device)
    best, med = best_of(lambda: vlb_terms(model, x0, schedule), device)
    print(f"vlb_terms, all T = {T} terms on {B} 2-D points: {best:.3f} s (median {med:.3f} s; goal < 1 s on CPU)")


if __name__ == "__main__":
    main()
