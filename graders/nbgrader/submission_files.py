"""What nbgrader may copy out of a submission folder: the student's own regular files, nothing that points elsewhere.

nbgrader's autograde copies everything handed in beside the notebook into autograded/<student>/<assignment>/
(following links), and generate_feedback copies on from there. A symbolic link handed in to the course's
hidden_seed.txt, gradebook.db or nbgrader_config.py would carry the target's bytes back to the student; a hard link
does the same without looking like a link; a FIFO would block the copy, and so the whole batch, forever.

`check_submission` is nbgrader's pre-convert hook (assignments/nbgrader_config.py: c.Autograde.pre_convert_hook),
run for each submission before anything is copied. Its first step, `refuse_unsafe_files`, moves out of
submitted/<student>/<assignment>/ every symbolic link, hard link (a file with more than one name), FIFO, socket or
device, and every file over MAX_FILE_MIB, into refused/<student>/<assignment>/ in the course folder (kept, never
deleted: it is the student's hand-in), and lists them with the reason in refused/<student>/<assignment>.txt, which
graders/nbgrader/grade.py quotes in the student's feedback. A notebook refused this way leaves the student not
graded, with the reason. Its second step records a notebook nbgrader cannot read as "unreadable: <why>"
(graders/nbgrader/unreadable.py), so no export turns it into 0.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..engine.faults import not_graded_record
from .unreadable import record_unreadable

MAX_FILE_MIB = 16
REFUSED = "refused"


def why_refused(path: Path) -> str | None:
    """Why `path` (not followed) may not be copied out of a submission; None if it may."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a FIFO, socket or device)"
    if info.st_nlink > 1:
        return "a hard link (the same file as another one elsewhere)"
    if info.st_size > MAX_FILE_MIB * 2**20:
        return f"larger than {MAX_FILE_MIB} MiB"
    return None


def unsafe_files(folder: Path) -> list[tuple[Path, str]]:
    """(path, why) of everything under `folder` that may not be copied, links to folders included, none followed."""
    found = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(top) / name
            why = why_refused(path)
            if why:
                found.append((path, why))
    return found


def check_submission(assignment=None, student=None, notebooks=(), **_) -> None:
    """nbgrader's pre-convert hook: set aside the submission's unsafe files, then record each notebook left in place
    that nbgrader cannot read as unreadable (see the module doc)."""
    refuse_unsafe_files(notebooks=notebooks)
    for notebook in notebooks:
        if os.path.lexists(notebook):
            record_unreadable(Path(notebook))


def refuse_unsafe_files(assignment=None, student=None, notebooks=(), **_) -> None:
    """The hook's first step: move the submission's unsafe files out of its folder (see the module doc)."""
    for folder in sorted({Path(nb).parent for nb in notebooks}):
        student_id, assignment_id, course = folder.parent.name, folder.name, folder.parents[2]
        refused = unsafe_files(folder)
        if not refused:
            continue
        keep = course / REFUSED / student_id / assignment_id
        lines = []
        for path, why in refused:
            relative = path.relative_to(folder)
            if not os.path.lexists(path):  # inside a folder link already moved
                continue
            (keep / relative).parent.mkdir(parents=True, exist_ok=True)
            os.rename(path, keep / relative)
            lines.append(f"{relative}: {why}")
        (course / REFUSED / student_id / f"{assignment_id}.txt").write_text("\n".join(lines) + "\n")
        notebooks_refused = [ln for ln in lines if ln.split(":")[0].endswith(".ipynb")]
        if notebooks_refused:
            record = not_graded_record(course, student_id, assignment_id)
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(f"the notebook handed in was refused ({'; '.join(notebooks_refused)}): hand in the "
                              f"notebook itself\n")


def refused_note(course: Path, student: str, assignment: str) -> str | None:
    """What was left out of this student's submission, for the feedback; None if nothing was."""
    record = course / REFUSED / student / f"{assignment}.txt"
    return record.read_text().strip() if record.is_file() else None
