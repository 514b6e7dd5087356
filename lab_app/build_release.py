"""Build the notebooks the lab hands to students: `python -m lab_app.build_release`.

For every assignment in assignments/source/ it runs the real `nbgrader generate_assignment <name> --force` in a
temporary copy of the course (graders/release.py) and writes lab_app/release/<name>.ipynb: solutions replaced by the
stub, hidden tests removed. The Home page serves only those files. Rerun it after changing a source notebook:
tests/test_app_release.py fails while a release is stale.
"""
from __future__ import annotations

from pathlib import Path

RELEASE = Path(__file__).resolve().parent / "release"


def main() -> None:
    from graders.release import build  # here: the hosted lab imports this module (RELEASE) without graders/

    for path in build(RELEASE):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
