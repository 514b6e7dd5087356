"""A course's released notebooks, made by the real `nbgrader generate_assignment`: solutions stubbed, hidden tests
removed. The students' copy (handout.py) and the notebooks the lab's Home page serves (build_release.py) are made
of these; the leak scan (leak_scan.py) reads the course's solutions from the same source folder.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .cli import run_nbgrader

COURSE = Path(__file__).resolve().parents[2] / "assignments"  # the instructor's course, in a checkout only


def assignment_names(course: Path = COURSE) -> list[str]:
    """Every assignment of the course: the folders of course/source/ (header.ipynb is the course header)."""
    if not (course / "source").is_dir():
        raise FileNotFoundError(f"{course / 'source'} is missing: build the release in a tree with the instructor's "
                                f"source notebooks")
    return sorted(p.name for p in (course / "source").iterdir() if p.is_dir() and not p.name.startswith("."))


def build(out: Path, course: Path = COURSE) -> list[Path]:
    """Release every assignment of `course` into out/<name>.ipynb, removing out's other notebooks; the files written.

    Only nbgrader_config.py and source/ are copied to a temporary course, so the course's gradebook, release/ and
    submissions stay untouched.
    """
    names = assignment_names(course)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ddpm-release-") as tmp:
        work = Path(tmp)
        shutil.copy2(course / "nbgrader_config.py", work / "nbgrader_config.py")
        shutil.copytree(course / "source", work / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name in names:
            run_nbgrader("generate_assignment", name, "--force", cwd=work)
            notebook = work / "release" / name / f"{name}.ipynb"
            if not notebook.is_file():
                raise FileNotFoundError(f"nbgrader released no {name}.ipynb for assignment {name!r}; "
                                        f"its source folder must hold source/{name}/{name}.ipynb")
            shutil.copyfile(notebook, out / notebook.name)
    for stale in out.glob("*.ipynb"):
        if stale.stem not in names:
            stale.unlink()
    return [out / f"{name}.ipynb" for name in names]
