"""A known mistake: the misconception behind a wrong formula, in one plain sentence, what the equation wants, and
the lab's page that shows the idea."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    """A known mistake: `sentence` names the misconception, `fix` says what the equation wants instead."""

    key: str
    sentence: str
    fix: str
    page: str = ""  # the title of the lab's page (streamlit_app.py) that shows the idea the mistake misses


def diagnosis(key: str, sentence: str, fix: str) -> tuple[str, Diagnosis]:
    """A (key, Diagnosis) pair for a module's DIAGNOSES table."""
    return key, Diagnosis(key, sentence, fix)


def on_pages(diagnoses: dict[str, Diagnosis], pages: dict[str, list[str]]) -> dict[str, Diagnosis]:
    """`diagnoses` with each key listed under a page title in `pages` pointing to that page."""
    page_of = {key: page for page, keys in pages.items() for key in keys}
    unknown = set(page_of) - set(diagnoses)
    if unknown:
        raise ValueError(f"no diagnosis named {', '.join(sorted(unknown))}")
    return {key: dataclasses.replace(d, page=page_of.get(key, "")) for key, d in diagnoses.items()}
