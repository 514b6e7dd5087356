"""What a page asks the compute service for: plain, frozen, hashable values, so that equal requests share one result
and requests that differ only in n and seed share one batch."""
from __future__ import annotations

from dataclasses import dataclass

from reference.diffusion.options import SAMPLERS, Sampler


@dataclass(frozen=True)
class SampleRequest:
    """n samples of shipped model `name` by DDPM (Algorithm 2, σ² by `variance`) or DDIM (`ddim_steps` placed by
    `spacing`, η = `eta`), from x_T and noise drawn from `seed`, keeping `frames` evenly spaced steps of the
    trajectory. Fields a sampler does not read are ignored: DDPM's ddim_steps, spacing and eta, DDIM's variance."""

    name: str
    sampler: Sampler
    n: int
    seed: int
    ddim_steps: int = 50
    spacing: str = "trailing"
    eta: float = 0.0
    variance: str = "fixed_large"
    frames: int = 101

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}; got {self.sampler!r}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive integer; got {self.n!r}")
        if isinstance(self.frames, bool) or not isinstance(self.frames, int) or self.frames < 2:
            raise ValueError(f"frames must be an integer of at least 2 (the first and the last step); "
                             f"got {self.frames!r}")

    @property
    def batch_key(self) -> tuple:
        """Requests with equal keys run as one batch: the same model, sampler and sampler settings."""
        if self.sampler == "ddpm":
            return ("samples", self.name, "ddpm", self.variance)
        return ("samples", self.name, "ddim", self.ddim_steps, self.spacing, self.eta)

    @property
    def key(self) -> tuple:
        """Requests with equal keys get the same result."""
        return (*self.batch_key, self.n, self.seed, self.frames)


@dataclass(frozen=True)
class BoundRequest:
    """Every term of the bound (eq. 5) of shipped model `name` on its first n held-out examples, σ² by `variance`,
    x_t drawn from `seed`. A bound's noise is drawn for its whole (T·n) batch from one generator, so bounds do not
    batch with each other: only equal requests share a run."""

    name: str
    n: int
    variance: str
    seed: int

    def __post_init__(self):
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive integer; got {self.n!r}")

    @property
    def batch_key(self) -> tuple:
        return ("bound", self.name, self.n, self.variance, self.seed)

    @property
    def key(self) -> tuple:
        return self.batch_key
