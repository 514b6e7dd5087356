"""The seed of a course's graded cases: a secret of the instructor's, so that no student can precompute answers.

Students have graders/ (their visible test cells run it) and reference/ (the lab runs it), so cases drawn from a
seed they can read could be answered from a lookup table built at home. Grading draws both the sanity and the
hidden cases from the course's seed (the sanity cases keep the shapes students saw, with other numbers). A course keeps its own seed in a file
beside its nbgrader_config.py (`c.HiddenCases.seed_file`), made on first use and never committed or released;
the TA tool reads the same file (`--seed-file`). Without one, grading uses the public seed and says so.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable

from ..engine.cases import PUBLIC_SEED

PUBLIC_WARNING = ("the hidden cases use the public seed (no c.HiddenCases.seed_file): a student with graders/ and "
                  "reference/ can precompute their answers")


def course_seed(path: Path) -> int:
    """The seed stored at `path`, made (40 random bits, readable by its owner only) if the file does not exist.

    Graders that start at once (Dask workers on a new course) all get the first one made: the seed is written to
    a file of its own, then linked to `path` only if nothing is there yet, so `path` never holds a partial seed.
    """
    path = Path(path)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{secrets.randbits(40)}\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another grader made it first: everyone uses theirs
        finally:
            os.unlink(draft)
    text = path.read_text().strip()
    if not text.isdigit():
        raise ValueError(f"{path} must hold one non-negative integer (the hidden cases' seed); got {text[:40]!r}")
    return int(text)


class HiddenCases(Configurable):
    """Where the course keeps its hidden cases' seed (nbgrader config: c.HiddenCases.seed_file)."""

    seed_file = Unicode("", help="A file holding the hidden cases' seed, made on first use. Keep it out of git and "
                                 "out of anything students get. Empty: the public seed.").tag(config=True)

    def seed(self) -> tuple[int, str | None]:
        """(seed, warning): the course's seed, or the public one with a warning saying what that allows."""
        if not self.seed_file:
            return PUBLIC_SEED, PUBLIC_WARNING
        return course_seed(Path(self.seed_file)), None
