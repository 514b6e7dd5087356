"""`nbgrader autograde` for a whole class in parallel: one Dask task per student (graders/batch/cluster.py).

    .venv/bin/python -m graders.batch.autograde ddpm_core           # the course in assignments/, a LocalCluster
    .venv/bin/python -m graders.batch.autograde ddpm_core --students alice bob
    .venv/bin/python -m graders.batch.autograde ddpm_core --scheduler tcp://HOST:8786 --db postgresql://…

Each task runs nbgrader's own Autograde (what `nbgrader autograde ASSIGNMENT --student S --create --force` runs,
through nbgrader's Python API) in the Dask worker's process, with the course's nbgrader_config.py. It writes what
nbgrader writes: autograded/S/ASSIGNMENT/ and S's rows of the gradebook. So `nbgrader generate_feedback` and
`nbgrader export` work unchanged, and grading a student again replaces that student's rows (nbgrader's
update-or-create, in one transaction per step): a rerun, or a student regraded after a worker died mid-way, leaves
exactly one set of rows.

What the workers share: the course folder, at the same path on every worker (a network file system such as NFS on a
cluster; nothing to do on one machine), and the gradebook. The gradebook is SQLite by default: on one machine the
workers' writes queue on SQLite's lock (each write is a short transaction; a writer waits up to SQLITE_WAIT_S);
across machines SQLite cannot be shared safely, so with --scheduler this refuses SQLite and asks for PostgreSQL
(--db, or c.CourseDirectory.db_url).

A cluster cannot pay for itself when only one student can be graded at a time (one student, as when regrading one,
or --workers 1): its worker processes start and import the grading stack before the first grade. Then, without
--scheduler, the students are graded one after another in this process, with the same canary check first, the same
Autograde and the same not-graded reporting; what is lost is a retry on a fresh worker after a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from ..engine.faults import GradingFault, not_graded_record
from .cluster import Failed, dask_client, per_student

SQLITE_WAIT_S = 600
CONFIG = "nbgrader_config.py"
# nbgrader's gradebook code trips SQLAlchemy 2's autoflush warnings on every submission; they say nothing of the grade
warnings.filterwarnings("ignore", category=SAWarning)


def course_config(course: Path, db_url: str | None):
    """The course's nbgrader_config.py as a traitlets Config, rooted at `course`, with `db_url` if given."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    if db_url:
        config.CourseDirectory.db_url = db_url
    config.ConfinedExecute.canary = False  # main() grades the canary once, before any student
    return config


def check_canary(course: Path, assignment: str) -> None:
    """Grade the instructor's solution of every notebook of `assignment` (source/) with the course's seed; a
    GradingFault (graders/nbgrader/canary.py) unless each gets full marks."""
    from nbgrader.coursedir import CourseDirectory

    from ..nbgrader.canary import canary, read_source
    from ..nbgrader.grade import grading_job
    from ..nbgrader.hidden_seed import HiddenCases

    config = course_config(course, None)
    coursedir = CourseDirectory(config=config)
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise GradingFault(f"no instructor's notebook of {assignment} in {source}, to grade as the canary")
    seed, _ = HiddenCases(config=config).seed()
    for path in notebooks:
        canary(path, grading_job(read_source(path), assignment, seed)[1])


def autograde_student(course: str, assignment: str, student: str, db_url: str) -> dict:
    """nbgrader autograde of one student, in this process (a Dask task): plain data saying how it went."""
    from nbgrader.apps.api import NbGraderAPI

    start = time.perf_counter()
    api = NbGraderAPI(config=course_config(Path(course), db_url))
    api.log.setLevel("WARNING")  # the worker's own terminal; the captured log below keeps the INFO lines
    outcome = api.autograde(assignment, student, force=True, create=True)
    return {"success": bool(outcome["success"]), "log": outcome.get("log", "")[-20000:],
            "error": outcome.get("error", "")[-20000:], "seconds": time.perf_counter() - start,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def one_by_one(jobs: dict[str, tuple]) -> Iterator[tuple[str, dict | Failed]]:
    """(student, autograde_student(*jobs[student]) or Failed), graded one after another in this process: what
    cluster.per_student yields, without a cluster (see the module doc)."""
    for student, job in jobs.items():
        try:
            yield student, autograde_student(*job)
        except Exception as e:  # as a Dask task's exception would come back: the batch goes on
            yield student, Failed(f"{type(e).__name__}: {str(e).strip()[:2000]}")


def why_not_graded(course: Path, assignment: str, student: str, outcome: dict) -> str:
    """Why nbgrader did not grade `student`: its NOT GRADED lines, else the not-graded record (an unreadable
    notebook), else the end of its log."""
    said = [ln for ln in outcome["log"].splitlines() if "NOT GRADED:" in ln]
    record = not_graded_record(course, student, assignment)
    if said:
        return "\n".join(said)
    if record.is_file():
        return record.read_text().strip()
    return f"{outcome['log'].strip()}\n{outcome['error'].strip().splitlines()[-1]}"


def gradebook_url(course: Path, db_url: str | None, scheduler: str | None) -> str:
    """The gradebook every worker writes to: --db, else the course's; SQLite only on one machine (see the doc)."""
    from nbgrader.coursedir import CourseDirectory

    url = db_url or CourseDirectory(config=course_config(course, None)).db_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url
    if scheduler:
        raise ValueError(f"the gradebook {url} is SQLite, which workers on several machines cannot share safely; "
                         f"give a PostgreSQL gradebook, e.g. --db postgresql://USER@HOST/gradebook (or set "
                         f"c.CourseDirectory.db_url in {CONFIG}), or grade on this machine without --scheduler")
    return parsed.update_query_dict({"timeout": str(SQLITE_WAIT_S)}).render_as_string(hide_password=False)


def check_course(course: Path, assignment: str, db_url: str, students: list[str] | None) -> list[str]:
    """The students to grade: `students`, else every student folder holding the assignment; ValueError naming
    what is missing (the gradebook's assignment, a submission)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"the gradebook has no assignment {assignment!r}; run `nbgrader generate_assignment "
                             f"{assignment}` first") from None
    submitted = course / "submitted"
    found = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir()) if submitted.is_dir() else []
    if students is None:
        if not found:
            raise ValueError(f"no submissions of {assignment!r} under {submitted} (submitted/<student>/{assignment}/)")
        return found
    missing = sorted(set(students) - set(found))
    if missing:
        raise ValueError(f"no submission of {assignment!r} for {', '.join(missing)} under {submitted}")
    return list(dict.fromkeys(students))


def parser(prog: str = "python -m graders.batch.autograde") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("assignment", help="the assignment to autograde, e.g. ddpm_core")
    p.add_argument("--course", type=Path, help=f"the course folder, holding {CONFIG} (default: the current folder if "
                                                f"it holds one, else assignments/)")
    p.add_argument("--students", nargs="+", metavar="ID", help="grade only these students (default: every one)")
    p.add_argument("--scheduler", metavar="ADDR", help="a Dask scheduler, e.g. tcp://HOST:8786 (default: a "
                                                        "LocalCluster on this machine)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="LocalCluster worker processes, each grading one student at a time (default: one per core)")
    p.add_argument("--db", metavar="URL", help="the gradebook's SQLAlchemy URL (default: the course's, "
                                               "c.CourseDirectory.db_url, else gradebook.db in the course folder)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None, prog: str = "python -m graders.batch.autograde") -> int:
    args = parser(prog).parse_args(argv)
    if args.workers < 1:
        parser(prog).error(f"--workers must be at least 1; got {args.workers}")
    course = (args.course or (Path(".") if Path(CONFIG).is_file() else Path("assignments"))).resolve()
    try:
        if not (course / CONFIG).is_file():
            raise ValueError(f"{course} has no {CONFIG}; run this in the course folder (assignments/) or pass --course")
        db_url = gradebook_url(course, args.db, args.scheduler)
        students = check_course(course, args.assignment, db_url, args.students)
        check_canary(course, args.assignment)
        start = time.perf_counter()
        failed: dict[str, str] = {}
        here = args.scheduler is None and min(args.workers, len(students)) == 1
        jobs = {s: (str(course), args.assignment, s, db_url) for s in students}
        with contextlib.nullcontext() if here else dask_client(args.scheduler, args.workers) as client:
            outcomes = one_by_one(jobs) if here else per_student(client, autograde_student, jobs,
                                                                 not args.no_progress, "autograde")
            for student, outcome in outcomes:
                if isinstance(outcome, Failed):
                    failed[student] = outcome.reason
                elif not outcome["success"]:
                    failed[student] = why_not_graded(course, args.assignment, student, outcome)
    except (ValueError, ConnectionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except GradingFault as fault:
        print(f"error: nobody graded: {fault}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    for student, why in sorted(failed.items()):
        print(f"\n--- {student}: not graded ---\n{why[-3000:]}", file=sys.stderr)
    print(f"{len(students) - len(failed)} of {len(students)} students autograded in {seconds:.1f} s "
          f"({'in this process' if here else args.scheduler or f'a LocalCluster of {args.workers}'}); gradebook: "
          f"{make_url(db_url).render_as_string(hide_password=True)}"
          + (f"; not graded: {', '.join(sorted(failed))}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
