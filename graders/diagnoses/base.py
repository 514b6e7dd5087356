"""A known mistake: the misconception behind a wrong formula, in one plain sentence, and what the equation wants."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake: `sentence` names the misconception, `fix` says what the equation wants instead."""

    key: str
    sentence: str
    fix: str


def diagnosis(key: str, sentence: str, fix: str) -> tuple[str, Diagnosis]:
    """A (key, Diagnosis) pair for a module's DIAGNOSES table."""
    return key, Diagnosis(key, sentence, fix)
