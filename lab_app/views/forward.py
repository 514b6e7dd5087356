"""The Forward process page's cached arrays: the chain of eq. 2 beside the jump of eq. 4, their moments, and a digit
along both."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

import reference
from reference import data
from reference.data import TOY_DATASETS

from lab_app.server import models
from lab_app.views import shared
from lab_app.views.shared import ScheduleSpec

@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them."""

    kind: str = "linear"  # the schedule, with the schedule widgets' own defaults
    dataset: str = TOY_DATASETS[0]
    n: int = 4000  # points noised both ways: Monte Carlo errors of about 1/√4000 ≈ 0.016 on each moment
    seed: int = 0
    digit: int = 0
    digit_fractions: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0)  # the digit strip's paper t, over T

    def t(self, T: int) -> int:
        """The chain-against-jump view's paper t."""
        return max(1, T // 10)

    def digit_ts(self, T: int) -> list[int]:
        """The digit strip's paper t."""
        return sorted({max(1, round(f * T)) for f in self.digit_fractions})


DEFAULTS = Defaults()


def _moments(m: reference.Moments) -> dict[str, np.ndarray]:
    return {"mean": m.mean.cpu().numpy(), "variance": m.variance.cpu().numpy(), "mean_se": m.mean_se.cpu().numpy(),
            "variance_se": m.variance_se.cpu().numpy()}


def _standardized_toy(name: str, n: int, seed: int) -> torch.Tensor:
    """n toy points shifted and scaled to mean 0 and variance 1 per dimension, on the lab's device."""
    return reference.standardize(data.make_toy(name, n, seed)).to(reference.default_device())


def _chain_generator(seed: int) -> torch.Generator:
    """The chain's noise; the jump of eq. 4 draws its ε from seed + 1, so the two never share a draw."""
    return torch.Generator(device=reference.default_device()).manual_seed(seed)


@st.cache_data(max_entries=16, show_spinner=False)
def forward_variance(spec: ScheduleSpec, name: str, n: int, seed: int) -> dict:
    """Per-dimension moments of x_1 … x_T, (T, 2) each, for n toy points standardised to unit variance: along the
    chain of eq. 2 ("chain") and along the unscaled chain x_t = x_{t-1} + √β_t·ε ("unscaled"), each with its exact
    variance from `reference.marginal_moments` and the measured variance averaged over the dimensions, and the
    seconds both chains took."""
    s = shared.build_schedule(spec)
    x0 = _standardized_toy(name, n, seed)
    data_moments = reference.moments(x0)
    start = time.perf_counter()
    out = {}
    for key, variance_preserving in (("chain", True), ("unscaled", False)):
        m = reference.chain_moments(x0, s, _chain_generator(seed), variance_preserving=variance_preserving)
        _, exact = reference.marginal_moments(data_moments.mean.cpu(), data_moments.variance.cpu(), s,
                                              variance_preserving=variance_preserving)
        out[key] = {**_moments(m), "exact_variance": exact.numpy(),  # (T, 2)
                    "average_variance": m.variance.mean(1).cpu().numpy(),  # (T,), over the 2 dimensions
                    "average_exact_variance": exact.mean(1).numpy()}
    out["seconds"] = time.perf_counter() - start
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def forward_at(spec: ScheduleSpec, name: str, n: int, seed: int, t: int) -> dict:
    """x_t at code t (the paper's t + 1) for the same n standardised toy points, two ways: t + 1 steps of eq. 2 (the
    chain of `forward_variance`, stopped at t, so the same draws) and one jump of eq. 4. Returns both (n, 2) with
    their moments, the gaps between those in standard errors (`reference.moments_gap`), and the exact mean and
    variance of x_t (`reference.marginal_moments`)."""
    s = shared.build_schedule(spec)
    x0 = _standardized_toy(name, n, seed)
    reference.check_t(t, x0, s.T)
    for t_chain, chain in reference.q_chain(x0, s, _chain_generator(seed)):
        if t_chain == t:
            break
    noise = torch.randn(x0.shape, generator=_chain_generator(seed + 1), device=x0.device)
    jump = reference.diffuse(x0, t, noise, s.alpha_bar)
    data_moments, chain_moments, jump_moments = (reference.moments(x) for x in (x0, chain, jump))
    exact_mean, exact_variance = reference.marginal_moments(data_moments.mean.cpu(), data_moments.variance.cpu(), s)
    gap_mean, gap_variance = reference.moments_gap(chain_moments, jump_moments)
    return {"chain": chain.cpu().numpy(), "jump": jump.cpu().numpy(),
            "chain_moments": _moments(chain_moments), "jump_moments": _moments(jump_moments),
            "exact_mean": exact_mean[t].numpy(), "exact_variance": exact_variance[t].numpy(),
            "gap_mean": gap_mean.cpu().numpy(), "gap_variance": gap_variance.cpu().numpy()}


@st.cache_data(max_entries=32, show_spinner=False)
def forward_digit(spec: ScheduleSpec, index: int, seed: int, ts: tuple[int, ...]) -> dict:
    """Held-out digit `index`, x0 (8, 8), and its x_t at the code timesteps `ts`, (k, 8, 8) each: along one chain of
    eq. 2 ("chain") and by one jump of eq. 4 per t ("jump")."""
    s = shared.build_schedule(spec)
    x0 = models.digits_split().x_test[index:index + 1].to(reference.default_device())  # (1, 1, 8, 8)
    for t in ts:
        reference.check_t(t, x0, s.T)
    chain = {}
    for t, x_t in reference.q_chain(x0, s, _chain_generator(seed)):
        if t in ts:
            chain[t] = x_t[0, 0].cpu().numpy()
        if t == max(ts):
            break
    generator = _chain_generator(seed + 1)
    jump = [reference.diffuse(x0, t, torch.randn(x0.shape, generator=generator, device=x0.device), s.alpha_bar)[0, 0]
            for t in ts]
    return {"x0": x0[0, 0].cpu().numpy(), "chain": np.stack([chain[t] for t in ts]),
            "jump": torch.stack(jump).cpu().numpy()}
