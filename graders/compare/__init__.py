"""TA comparison: every submission through the autograder's engine, each in its own sandbox, side by side.

    python -m graders.compare assignments/submitted --assignment ddpm_core --out report/ [--jobs N | --scheduler ADDR]

reads nbgrader's submitted/<student>/<assignment>/<assignment>.ipynb (the course folder works too) for each
--assignment (repeatable; default: every assignment found), grades every
student's code in sandboxed worker processes, one Dask task per student (grade.py over graders/batch/cluster.py and
graders/sandbox/runner.py), and writes to --out:

    report.html    per assignment: score and mistake plots, the student × task matrix (search, sort, filter),
                   counts by status, near-identical submissions, every message; with several, a Course tab
    report.csv     one row per student × assignment × task: pass/fail, status, points, max abs/rel error,
                   diagnosis, runtime
    results.jsonl  one student per line, code included (report.read_results reads it back)

Where bubblewrap cannot confine the code, grading still runs, with resource limits only: the command warns on
stderr at its start and end, and report.html opens with a red banner (graders/sandbox/confine.py, NOT_ISOLATED).

    cli.py          the command line and write_report
    grade.py        grade_class: one Dask task per student, on a LocalCluster or any Dask cluster; grade_course
                    for several assignments on one cluster
    roster.py       finding the submissions in nbgrader's layout; students' names from a roster CSV
    report.py       rows, points, totals, statuses, counts, CSV and JSON lines
    report_html.py  the one-page HTML report: plots, search, sort, filter, a Course tab for several assignments
    charts.py       its two plots as inline SVG
    report_script.py  its one inline script
    similarity.py   near-identical submissions, for integrity review
"""
from .cli import main, write_report
from .grade import grade_class, grade_course
from .roster import Submission, find_submissions

__all__ = ["Submission", "find_submissions", "grade_class", "grade_course", "main", "write_report"]
