"""The Sampling page's defaults; its samples come from the compute service (lab_app/views/shared.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True)
class Defaults:
    """The page's widgets as a student first sees them, by the kind of model ("image" or "points")."""

    n: dict[str, int] = field(default_factory=lambda: {"image": 16, "points": 2000})
    sampler: dict[str, str] = field(default_factory=lambda: {"image": "ddim", "points": "ddpm"})  # a U-Net over all T
    # steps takes tens of seconds on a CPU
    seed: int = 0
    ddim_steps: int = 50
    spacing: str = "trailing"
    eta: float = 0.0
    variance: str = "fixed_large"


DEFAULTS = Defaults()
