"""Build the notebooks the lab hands to students: `python -m lab_app.build_release`.

For every assignment in assignments/source/ (each folder; header.ipynb is the course header, not an assignment) it
runs the real `nbgrader generate_assignment <name> --force` in a temporary copy of the course and copies
release/<name>/<name>.ipynb to lab_app/release/<name>.ipynb: solutions replaced by the stub, hidden tests removed.
The Home page serves only those files. Rerun it after changing a source notebook: tests/test_app_release.py fails
while a release is stale.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
RELEASE = Path(__file__).resolve().parent / "release"


def assignment_names(course: Path = COURSE) -> list[str]:
    """Every assignment of the course: the folders of course/source/."""
    if not (course / "source").is_dir():
        raise FileNotFoundError(f"{course / 'source'} is missing: build the release in a tree with the instructor's "
                                f"source notebooks")
    return sorted(p.name for p in (course / "source").iterdir() if p.is_dir() and not p.name.startswith("."))


def build(out: Path = RELEASE, course: Path = COURSE) -> list[Path]:
    """Release every assignment of `course` into out/<name>.ipynb, removing out's other notebooks; the files written.

    Only nbgrader_config.py and source/ are copied, so the course's gradebook, release/ and submissions stay
    untouched.
    """
    from graders.nbgrader_cli import run_nbgrader  # here: the hosted lab imports this module without graders/

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


def main() -> None:
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
