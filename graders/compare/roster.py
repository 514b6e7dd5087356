"""Finding the submitted notebooks in nbgrader's layout, submitted/<student>/<assignment>/<assignment>.ipynb, and the
students' names in a roster CSV."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Submission:
    """One student's notebook on disk."""

    student: str
    notebook: Path


def submitted_folder(path: Path) -> Path:
    """nbgrader's `submitted/` folder, given either it or the course folder that holds it."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder; pass nbgrader's submitted/ folder (or the course folder)")
    return path / "submitted" if (path / "submitted").is_dir() else path


def _assignments(submitted: Path) -> set[str]:
    return {a.name for s in submitted.iterdir() if s.is_dir() for a in s.iterdir()
            if a.is_dir() and not a.name.startswith(".")}


def assignments_in(path: Path) -> list[str]:
    """Every assignment some student submitted, by name, given nbgrader's submitted/ folder or the course folder."""
    names = sorted(_assignments(submitted_folder(path)))
    if not names:
        raise ValueError(f"no submissions under {submitted_folder(path)} (expected <student>/<assignment>/ folders)")
    return names


def read_names(path: Path) -> dict[str, str]:
    """student id -> name from a roster CSV: an `id` column and `first_name` and `last_name` (nbgrader's
    `nbgrader db student import` format) or a `name` column; other columns (email, …) are ignored."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            fields = set(reader.fieldnames or [])
            if "id" not in fields or not ({"first_name", "last_name"} <= fields or "name" in fields):
                raise ValueError(f"roster {path} needs an id column and first_name and last_name (or name) columns; "
                                 f"it has {', '.join(sorted(fields)) or 'none'}")
            return {row["id"]: row.get("name") or " ".join(filter(None, (row.get("first_name"), row.get("last_name"))))
                    for row in reader if row.get("id")}
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"roster {path} could not be read: {e}") from e


def _notebook(folder: Path, assignment: str) -> Path:
    """<assignment>.ipynb, else the folder's only notebook, else the expected (missing) path."""
    preferred = folder / f"{assignment}.ipynb"
    found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    return found[0] if not preferred.is_file() and len(found) == 1 else preferred


def find_submissions(path: Path, assignment: str | None = None) -> list[Submission]:
    """Every student's notebook for `assignment` (needed only when students submitted several), by student id.

    A student folder without that assignment is left out, as nbgrader does. One whose folder holds no
    <assignment>.ipynb and not exactly one other notebook stays in, and is graded as unreadable.
    """
    submitted = submitted_folder(path)
    if assignment is None:
        names = _assignments(submitted)
        if len(names) != 1:
            raise ValueError(f"{submitted} holds {len(names)} assignments ({', '.join(sorted(names)) or 'none'}); "
                             f"choose one with --assignment")
        assignment = names.pop()
    out = []
    for student in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        folder = student / assignment
        if not folder.is_dir():
            continue
        out.append(Submission(student.name, _notebook(folder, assignment)))
    if not out:
        raise ValueError(f"no submissions of {assignment!r} under {submitted}")
    return out
