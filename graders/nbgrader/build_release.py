"""Build the notebooks the lab hands to students: `python -m graders.nbgrader.build_release`.

For every assignment in assignments/source/ it runs the real `nbgrader generate_assignment <name> --force` in a
temporary copy of the course (graders/nbgrader/release.py) and writes lab_app/release/<name>.ipynb: solutions
replaced by the stub, hidden tests removed. The lab's Home page serves only those files (it finds the folder itself,
without importing the graders). Rerun it after changing a source notebook: tests/test_app_release.py fails while a
release is stale.
"""
from __future__ import annotations

from pathlib import Path

from .release import build

RELEASE = Path(__file__).resolve().parents[2] / "lab_app" / "release"  # the folder the lab serves


def main() -> None:
    for path in build(RELEASE):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
