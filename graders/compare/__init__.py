"""TA comparison: every submission through the autograder's engine, each in its own sandbox, side by side.

    python -m graders.compare assignments/submitted --assignment ddpm_core --out report/ [--jobs N | --scheduler ADDR]

reads nbgrader's submitted/<student>/<assignment>/<assignment>.ipynb (the course folder works too), grades every
student's code in sandboxed worker processes, one Dask task per student (grade.py over graders/cluster.py and
graders/runner.py), and writes to --out:

    report.html    the student × task matrix, misconception counts, near-identical submissions, every message
    report.csv     one row per student × task: pass/fail, status, points, max abs/rel error, diagnosis, runtime
    results.jsonl  one student per line, code included (report.read_results reads it back)

Where bubblewrap cannot confine the code, grading still runs, with resource limits only: the command warns on
stderr at its start and end, and report.html opens with a red banner (graders/confine.py, NOT_ISOLATED).

    cli.py          the command line and write_report
    grade.py        grade_class: one Dask task per student, on a LocalCluster or any Dask cluster
    roster.py       finding the submissions in nbgrader's layout
    report.py       rows, points, counts, CSV and JSON lines
    report_html.py  the one-page HTML report
    similarity.py   near-identical submissions, for integrity review
"""
from .cli import main, write_report
from .grade import grade_class
from .roster import Submission, find_submissions

__all__ = ["Submission", "find_submissions", "grade_class", "main", "write_report"]
