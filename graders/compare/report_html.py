"""The comparison as one self-contained HTML page (inline CSS, no scripts): the student × task matrix, the
class's misconceptions and other failures, near-identical submissions, and each student's full messages.
Where any student's code ran unconfined (graders/confine.py: no bubblewrap), a red banner opens the page.

Everything a student wrote or caused (names, messages, notes) is HTML-escaped.
"""
from __future__ import annotations

import math
from html import escape
from pathlib import Path

from ..confine import NOT_ISOLATED
from ..diagnoses import DIAGNOSES
from ..engine import TaskSpec
from ..results import StudentRun
from .report import misconception_counts, points, status_counts
from .similarity import Review

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 13px; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.pass { background: #e6f4ea; } td.slip { background: #fdf6e3; } td.fail { background: #fde8e8; }
td.cell { max-width: 22em; } .small { color: #555; font-size: 12px; }
.bar { background: #c0392b; height: 10px; display: inline-block; }
pre { white-space: pre-wrap; background: #fafafa; padding: 6px; border: 1px solid #eee; }
.not-isolated { background: #c0392b; color: #fff; font-weight: bold; padding: 12px 16px; margin: 1em 0; }
"""


def _num(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2g}"


def _cell(r: dict) -> str:
    lost = r.get("points_lost", 0)
    mark = "✓ passed" if r["passed"] else f"✗ {escape(r['status'])}"
    if r["passed"] and lost:
        mark += f", −{lost} pt"
    lines = [f"<b>{mark}</b>",
             f"<span class=small>|err| {_num(r['max_abs_error'])} · rel {_num(r['max_rel_error'])} · "
             f"{r['runtime_s']:.2f} s</span>"]
    if r.get("diagnosis"):
        lines.append(escape(DIAGNOSES[r["diagnosis"]].sentence))
    elif not r["passed"]:
        last = (r["message"].strip().splitlines() or [""])[-1]
        lines.append(f"<span class=small>{escape(last[:200])}</span>")
    elif lost and r.get("notes"):
        lines.append(f"<span class=small>{escape(str(r['notes'][0])[:200])}</span>")
    css = ("slip" if lost else "pass") if r["passed"] else "fail"
    return f'<td class="cell {css}" title="{escape(r["message"])}">{"<br>".join(lines)}</td>'


def _matrix(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    head = "".join(f"<th>{t}<br><span class=small>{spec.points} pts</span></th>" for t, spec in tasks.items())
    body = []
    for run in runs:
        total = sum(points(spec, run.results[t]) for t, spec in tasks.items())
        cells = "".join(_cell(run.results[t]) for t in tasks)
        body.append(f'<tr><td><a href="#s-{escape(run.student)}">{escape(run.student)}</a></td>{cells}'
                    f"<td>{total}</td><td>{run.runtime_s:.1f}</td></tr>")
    full = sum(spec.points for spec in tasks.values())
    return (f"<table><tr><th>student</th>{head}<th>points<br><span class=small>of {full}</span></th>"
            f"<th>wall s</th></tr>{''.join(body)}</table>")


def _misconceptions(runs: list[StudentRun]) -> str:
    counts = misconception_counts(runs)
    if not counts:
        return "<p>No known mistake was diagnosed.</p>"
    n = len(runs)
    body = "".join(
        f"<tr><td>{task}</td><td>{escape(DIAGNOSES[key].sentence)}</td><td>{c}</td>"
        f'<td><span class="bar" style="width:{200 * c / n:.0f}px"></span> {100 * c / n:.0f}%</td></tr>'
        for (task, key), c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"<table><tr><th>task</th><th>misconception</th><th>students</th><th>share of class</th></tr>{body}</table>"


def _statuses(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    counts = status_counts(runs)
    if not counts:
        return "<p>Every check passed.</p>"
    statuses = sorted({s for _, s in counts})
    head = "".join(f"<th>{s}</th>" for s in statuses)
    body = "".join(f"<tr><td>{t}</td>" + "".join(f"<td>{counts.get((t, s), '')}</td>" for s in statuses) + "</tr>"
                   for t in tasks)
    return f"<table><tr><th>task</th>{head}</tr>{body}</table>"


def _similarity(review: Review) -> str:
    text = (f"<p class=small>Normalised-AST 5-gram Jaccard similarity, after dropping n-grams common to many "
            f"submissions; pairs at or above {review.threshold:g} are listed. A cluster is a reason to look, "
            f"not a finding.</p>")
    if not review.clusters:
        text += "<p>No near-identical submissions.</p>"
    for i, cluster in enumerate(review.clusters, 1):
        members = set(cluster)
        pairs = ", ".join(f"{escape(p.a)} ~ {escape(p.b)}: {p.similarity:.2f}" for p in review.pairs if p.a in members)
        text += f"<p><b>Cluster {i}</b> ({len(cluster)}): {', '.join(map(escape, cluster))}<br>" \
                f"<span class=small>{pairs}</span></p>"
    if review.not_compared:
        text += (f"<p class=small>Too little distinctive code to compare: "
                 f"{', '.join(map(escape, review.not_compared))}.</p>")
    return text


def _details(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    parts = []
    for run in runs:
        notes = "".join(f"<li>{escape(n)}</li>" for n in run.notes)
        msgs = "".join(f"<pre>{escape(run.results[t]['message'])}</pre>" for t in tasks)
        unconfined = "; <b>graded unconfined</b>" if run.not_isolated else ""
        parts.append(f'<details id="s-{escape(run.student)}"><summary>{escape(run.student)}</summary>'
                     f"<p class=small>{escape(run.notebook)}; {run.processes} process(es){unconfined}</p>"
                     f"{'<ul>' + notes + '</ul>' if notes else ''}{msgs}</details>")
    return "".join(parts)


def _not_isolated(runs: list[StudentRun]) -> str:
    """A red banner for each reason some students' code ran unconfined; empty where all ran in the sandbox."""
    reasons: dict[str, int] = {}
    for run in runs:
        if run.not_isolated:
            reasons[run.not_isolated] = reasons.get(run.not_isolated, 0) + 1
    return "".join(f'<div class="not-isolated">{escape(NOT_ISOLATED.format(why=why))} '
                   f"({n} of {len(runs)} students graded this way.)</div>" for why, n in sorted(reasons.items()))


def write_html(runs: list[StudentRun], tasks: dict[str, TaskSpec], review: Review, path: Path, title: str) -> None:
    runs = sorted(runs, key=lambda r: r.student)
    page = (f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title><style>{_CSS}</style>"
            f"</head><body>{_not_isolated(runs)}<h1>{escape(title)}</h1>"
            f"<p>{len(runs)} students. Hover a cell for its full message.</p>"
            f"<h2>Student × task</h2>{_matrix(runs, tasks)}"
            f"<h2>Misconceptions</h2>{_misconceptions(runs)}"
            f"<h2>Other failures</h2>{_statuses(runs, tasks)}"
            f"<h2>Near-identical submissions</h2>{_similarity(review)}"
            f"<h2>Every message</h2>{_details(runs, tasks)}</body></html>")
    Path(path).write_text(page, encoding="utf-8")
