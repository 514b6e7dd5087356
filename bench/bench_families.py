"""Benchmark: what a sample costs from each family — VAE, GAN, flow and diffusion (DDPM, 1000 steps, and DDIM, 50
steps) — on the moons and the digits (prints a table and ratios; not a test).

Median of --repeats timed runs of a batch of --batch samples after one untimed run, on reference.default_device()
(the GPU when there is one), with CUDA synchronised before each clock read; per sample = batch time / batch size.
The digits' DDPM runs the U-Net 1000 times (a minute or more on a CPU): --skip-digits-ddpm leaves it out.

Run: .venv/bin/python -m bench.bench_families [--batch 256] [--repeats 3] [--threads 1] [--skip-digits-ddpm]
"""
from __future__ import annotations

import argparse

import torch

from bench.timing import timed
from reference import default_device, device_name, load_checkpoint, sample_ddim, sample_ddpm
from reference.families.comparison import FAMILIES, FAMILY_DATA, family_name, family_samples, load_family, sampling_passes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--skip-digits-ddpm", action="store_true", help="leave out the U-Net's 1000 DDPM steps")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = default_device()
    print(f"device: {device_name(device)}; torch threads: {torch.get_num_threads()}; batch {args.batch}; "
          f"median of {args.repeats}")
    g = torch.Generator(device=device)
    with torch.no_grad():
        for data in FAMILY_DATA:
            rows: dict[str, tuple[int, float]] = {}  # name -> (network passes, seconds per batch)
            for family in FAMILIES:
                model = load_family(family_name(family, data), device).model
                rows[family] = (sampling_passes(model),
                                timed(lambda: family_samples(model, args.batch, g.manual_seed(0)), args.repeats,
                                      device))
            ckpt = load_checkpoint(data, device)
            shape = (args.batch, *((1, 8, 8) if data == "digits" else (2,)))
            schedule, clip = ckpt.schedule.to(device), (1.0 if data == "digits" else None)
            rows["diffusion, DDIM 50"] = (50, timed(lambda: sample_ddim(
                ckpt.model, shape, schedule, steps=50, generator=g.manual_seed(0), clip_x0=clip or 4.0), args.repeats,
                device))
            if not (data == "digits" and args.skip_digits_ddpm):
                rows["diffusion, DDPM 1000"] = (schedule.T, timed(lambda: sample_ddpm(
                    ckpt.model, shape, schedule, generator=g.manual_seed(0), clip_x0=clip), 1, device))
            fastest = min(seconds for _, seconds in rows.values())
            print(f"\n{data}: {'family':<22}{'passes':>8}{'ms / sample':>14}{'× fastest':>12}")
            for name, (passes, seconds) in rows.items():
                print(f"{'':{len(data) + 2}}{name:<22}{passes:>8}{1e3 * seconds / args.batch:>14.4f}"
                      f"{seconds / fastest:>12.1f}")


if __name__ == "__main__":
    main()
