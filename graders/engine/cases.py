"""The seeded test cases every check runs: batches of 2-D points and (B, 1, 8, 8) images, linear and cosine
schedules, float32 and float64, and timesteps that always mix t = 0, t = T−1 and the middle.

A case is plain data plus a seed, so the same submission always sees the same numbers. Inputs are drawn in
float64 and then cast, so the reference can be evaluated on exactly what the student received.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import torch

from reference import Schedule

POINTS, IMAGES = (2,), (1, 8, 8)  # S for the toy 2-D data and for 8×8 digits


@dataclass(frozen=True)
class Case:
    """One seeded batch: x of shape (B, *S) in `dtype`, timesteps `t` (0-indexed), schedule `schedule_name` with T steps,
    and a task's own settings in `params`, e.g. (("steps", 3), ("η", 1.0)), named as the feedback shows them."""

    seed: int
    shape: tuple[int, ...]
    schedule_name: str
    T: int
    dtype: torch.dtype
    t: tuple[int, ...]
    params: tuple[tuple[str, object], ...] = ()

    def param(self, name: str):
        return dict(self.params)[name]

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def schedule(self) -> Schedule:
        return _schedule(self.schedule_name, self.T)

    def t_tensor(self) -> torch.Tensor:
        return torch.tensor(self.t, dtype=torch.long)  # (B,)

    def generator(self, stream: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed * 7919 + stream)

    def randn(self, stream: int, shape: tuple[int, ...] | None = None) -> torch.Tensor:
        """A seeded standard normal draw of `shape` (default: the case's shape), in the case's dtype."""
        shape = self.shape if shape is None else shape
        return torch.randn(shape, generator=self.generator(stream), dtype=torch.float64).to(self.dtype)

    def describe(self, with_t: bool = True) -> str:
        dtype = str(self.dtype).replace("torch.", "")
        text = f"shape {self.shape} {dtype}, {self.schedule_name} schedule with T = {self.T}"
        text += f", t = {list(self.t)}" if with_t else ""
        return text + "".join(f", {name} = {list(v) if isinstance(v, tuple) else v}" for name, v in self.params)


@lru_cache(maxsize=None)
def _schedule(name: str, T: int) -> Schedule:
    """The named schedule with T steps; for T ≤ 40 the linear one ends at β = 0.5 (its 1000/T scaling would pass 1)."""
    if name == "linear" and T <= 40:
        return Schedule.from_name(name, T, beta_end=0.5)
    return Schedule.from_name(name, T)


def _timesteps(g: torch.Generator, B: int, T: int) -> tuple[int, ...]:
    """B timesteps holding 0 and T−1 (when B ≥ 2) and seeded middles, in a seeded order."""
    ends = [0, T - 1][:B]
    middle = torch.randint(0, T, (B - len(ends),), generator=g).tolist()
    t = ends + middle
    order = torch.randperm(B, generator=g).tolist()
    return tuple(t[i] for i in order)


# the seed of the cases students can run at home; a course grades with its own (graders/nbgrader/hidden_seed.py)
PUBLIC_SEED = 2020


def sanity_cases(Ts: tuple[int, int] = (10, 10), seed: int = PUBLIC_SEED) -> list[Case]:
    """Two small cases: 2-D points in float64 and images in float32, both holding t = 0 and T−1.

    Their numbers come from `seed`: the public seed gives the ones students see in their kernel; grading draws the
    same shapes from the course's secret seed, so answers copied from a table computed at home earn nothing.
    """
    first = seed - PUBLIC_SEED + 1  # 1 and 2 for the public seed
    return [
        Case(seed=first, shape=(3, *POINTS), schedule_name="linear", T=Ts[0], dtype=torch.float64, t=(0, Ts[0] // 2, Ts[0] - 1)),
        Case(seed=first + 1, shape=(3, *IMAGES), schedule_name="cosine", T=Ts[1], dtype=torch.float32, t=(Ts[1] - 1, 0, Ts[1] // 3)),
    ]


def full_cases(Ts: tuple[int, ...] = (10, 100, 1000), seed: int = PUBLIC_SEED) -> list[Case]:
    """The hidden cases: every shape × schedule × T × dtype with 3–6 examples, plus B = 1 at both ends and B = 2.

    B = 2 with 2-D points is there on purpose: a (B,) coefficient times a (B, 2) tensor broadcasts silently then.
    """
    g = torch.Generator().manual_seed(seed)
    cases = []
    for i, (S, name, T, dtype) in enumerate(itertools.product(
            (POINTS, IMAGES), ("linear", "cosine"), Ts, (torch.float32, torch.float64))):
        B = int(torch.randint(3, 7, (1,), generator=g))
        cases.append(Case(seed + i, (B, *S), name, T, dtype, _timesteps(g, B, T)))
    n = len(cases)
    T_small = Ts[0]
    cases += [
        Case(seed + n, (1, *POINTS), "linear", T_small, torch.float64, (0,)),
        Case(seed + n + 1, (1, *IMAGES), "cosine", T_small, torch.float32, (T_small - 1,)),
        Case(seed + n + 2, (2, *POINTS), "linear", T_small, torch.float32, (0, T_small - 1)),
    ]
    return sorted(cases, key=lambda c: (c.size, c.T, c.seed))


def cases_for(level: str, seed: int = PUBLIC_SEED, Ts: tuple[int, ...] = (10, 100, 1000),
              sanity_Ts: tuple[int, int] = (10, 10)) -> list[Case]:
    """The cases of a check at `level`, drawn from `seed` (see sanity_cases and full_cases)."""
    if level == "sanity":
        return sanity_cases(sanity_Ts, seed)
    if level == "full":
        return full_cases(Ts, seed)
    raise ValueError(f"level must be 'sanity' or 'full'; got {level!r}")


def tolerance(dtype: torch.dtype, factor: float = 1.0) -> float:
    """The allowed |error| / (1 + |truth|) for results in `dtype`: 10·√ε_machine times `factor`.

    float64: 1.5e-7; float32: 3.5e-3. The square root leaves room for the cancellation in 1 − ᾱ_t when ᾱ_t is
    near 1 (t = 0 with T = 1000), where honest float32 arithmetic loses about half its digits; every known
    mistake is off by far more.
    """
    return 10 * torch.finfo(dtype).eps ** 0.5 * factor
