"""Benchmark: what a digit costs from a VAE's prior, a latent DDPM and the pixel-space DDPM (prints numbers; not a test).

For each latent size and batch size: decoding prior draws, the latent DDPM with DDIM (50 trailing steps) and with
all T = 1000 DDPM steps, then decoding; and the pixel-space U-Net ("digits") with DDIM (50 steps), and with all 1000
steps where --full-pixel is given (minutes on a CPU). Median of --repeats timed runs after one untimed run, on
reference.default_device() (the GPU when there is one), with CUDA synchronised before each clock read.

Run: .venv/bin/python -m bench.bench_latent [--batch 64 1024] [--repeats 3] [--full-pixel]
"""
from __future__ import annotations

import argparse

import torch

from bench.timing import timed
from reference import default_device, device_name, load_checkpoint, sample_ddim, sample_ddpm
from reference.families.latent import LATENT_DIMS, load_latent_diffusion, sample_prior


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, nargs="+", default=[64])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--full-pixel", action="store_true", help="also time the pixel U-Net over all 1000 DDPM steps")
    args = p.parse_args()
    device = default_device()
    print(f"device: {device_name(device)}; torch threads: {torch.get_num_threads()}")
    pixel = load_checkpoint("digits", device)
    g = torch.Generator(device=device)
    with torch.no_grad():
        for n in args.batch:
            print(f"\nbatch of {n} digits: ms per digit (median of {args.repeats})")
            rows = {}
            for d in LATENT_DIMS:
                pair = load_latent_diffusion(d, device)
                rows[f"prior, d = {d}, decoded"] = timed(lambda: sample_prior(pair.vae, n, g.manual_seed(0)),
                                                         args.repeats, device)
                rows[f"latent DDPM, d = {d}, DDIM 50"] = timed(
                    lambda: pair.sample(n, sampler="ddim", steps=50, generator=g.manual_seed(0)), args.repeats, device)
                rows[f"latent DDPM, d = {d}, DDPM 1000"] = timed(
                    lambda: pair.sample(n, sampler="ddpm", generator=g.manual_seed(0)), args.repeats, device)
            shape, schedule = (n, 1, 8, 8), pixel.schedule.to(device)
            rows["pixel U-Net, DDIM 50"] = timed(
                lambda: sample_ddim(pixel.model, shape, schedule, 50, clip_x0=1.0, generator=g.manual_seed(0)),
                args.repeats, device)
            if args.full_pixel:
                rows["pixel U-Net, DDPM 1000"] = timed(
                    lambda: sample_ddpm(pixel.model, shape, schedule, generator=g.manual_seed(0)), 1, device)
            for label, seconds in rows.items():
                print(f"  {label:<32} {1000 * seconds / n:9.3f}")
            ratio = rows["pixel U-Net, DDIM 50"] / rows[f"latent DDPM, d = {LATENT_DIMS[-1]}, DDIM 50"]
            print(f"  pixel / latent (d = {LATENT_DIMS[-1]}), both DDIM 50: {ratio:.0f}x")


if __name__ == "__main__":
    main()
