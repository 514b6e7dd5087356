"""The comparison as one self-contained HTML page (inline CSS, SVG and script; no request leaves it).

Per assignment: a histogram of totals and a bar chart of the commonest diagnosed mistakes (graders/compare/charts.py),
the student × task matrix (searchable by id or name, sortable by any column, filterable by a status or mistake:
graders/compare/report_script.py), counts by status, near-identical submissions and every message. With several
assignments, a Course tab comes first: each student's points per assignment and in total. The matrix scrolls inside its
own box under sticky headers, and its cells show a short verdict with the full message on hover, so the page fits a
1,400 px window at any class size. Where any student's code ran unconfined (graders/sandbox/confine.py: no bubblewrap),
a red banner opens the page.

Everything a student wrote or caused (ids, names, messages, notes) is HTML-escaped; the script only shows, hides
and orders rows rendered here.
"""
from __future__ import annotations

import math
from collections import Counter
from html import escape
from pathlib import Path

from ..engine.diagnoses import DIAGNOSES
from ..engine.judging import TaskSpec
from ..engine.results import StudentRun
from ..sandbox.confine import NOT_ISOLATED
from . import charts
from .report import STATUS_LABELS, misconception_counts, not_graded, points, status_counts, status_label, total
from .report_script import SCRIPT
from .similarity import Review

MISTAKES_SHOWN = 12  # bars in the commonest-mistakes chart; the table below lists them all

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 13px; }
th { background: #f3f3f3; }
td.pass { background: #e6f4ea; } td.slip { background: #fdf6e3; } td.fail { background: #fde8e8; }
td.blank { background: #f0f0f0; color: #555; } td.fault { background: #ede7f6; }
.small, .axis { color: #555; font-size: 12px; } .axis, .label { fill: #444; font-size: 12px; }
svg .bin, svg .bar { fill: #c0392b; }
.charts { display: flex; flex-wrap: wrap; gap: 1em 3em; }
figure { margin: 0; } figcaption { font-weight: bold; margin-bottom: 4px; }
.scroll { max-height: 75vh; overflow: auto; border: 1px solid #ccc; max-width: 100%; }
.scroll table { margin: 0; }
.scroll thead th { position: sticky; top: 0; z-index: 2; }
.scroll td:first-child, .scroll th:first-child { position: sticky; left: 0; background: #fff; z-index: 1; }
.scroll thead th:first-child { z-index: 3; background: #f3f3f3; }
td.cell { width: 15em; max-width: 15em; } td.name { max-width: 14em; overflow-wrap: anywhere; }
td.cell .why { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
button.sort { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button.sort::after { content: " ▲"; }
th[aria-sort=descending] button.sort::after { content: " ▼"; }
.toolbar { display: flex; gap: 1em; align-items: center; margin: .5em 0; flex-wrap: wrap; }
.toolbar input { width: 18em; } .toolbar select { max-width: 36em; }
nav.tabs button { font: inherit; padding: 6px 14px; border: 1px solid #ccc; background: #f3f3f3; cursor: pointer; }
nav.tabs button[aria-selected=true] { background: #fff; border-bottom-color: #fff; font-weight: bold; }
.js .tabbed section.tab:not(.active) { display: none; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fafafa; padding: 6px; border: 1px solid #eee; }
.not-isolated { background: #c0392b; color: #fff; font-weight: bold; padding: 12px 16px; margin: 1em 0; }
"""


def _num(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2g}"


def _anchor(assignment: str, student: str) -> str:
    return escape(f"s-{assignment}-{student}")


def _css(r: dict) -> str:
    if r["passed"]:
        return "slip" if r.get("points_lost", 0) else "pass"
    return {"not_attempted": "blank", "not_graded": "fault"}.get(r["status"], "fail")


def _cell(r: dict, score: int) -> str:
    """A task's verdict in short (the full message in its tooltip), sorting by the points it scored."""
    lost = r.get("points_lost", 0)
    mark = "✓ passed" if r["passed"] else f"✗ {escape(status_label(r['status']))}"
    if r["passed"] and lost:
        mark += f", −{lost} pt"
    lines = [f"<div><b>{mark}</b></div>"]
    if r.get("diagnosis"):
        lines.append(f"<div class=why>{escape(DIAGNOSES[r['diagnosis']].sentence)}</div>")
    elif not r["passed"] and r["status"] != "not_attempted":  # the status says all there is to say
        last = (r["message"].strip().splitlines() or [""])[-1]
        last = last.removeprefix(f"{r['task']}: ").removeprefix("syntax error in ")  # the line first, in 2 lines
        lines.append(f"<div class='why small'>{escape(last[:300])}</div>")
    elif lost and r.get("notes"):
        lines.append(f"<div class='why small'>{escape(str(r['notes'][0])[:300])}</div>")
    if r["passed"] or r["status"] == "wrong":
        lines.append(f"<div class=small>|err| {_num(r['max_abs_error'])} · rel {_num(r['max_rel_error'])} · "
                     f"{r['runtime_s']:.2f} s</div>")
    return f'<td class="cell {_css(r)}" data-v="{score}" title="{escape(r["message"])}">{"".join(lines)}</td>'


def _tags(run: StudentRun) -> str:
    """The filter's tokens a row matches: status:S and TASK:S for each task's status, mistake:TASK:KEY."""
    tags = []
    for task, r in run.results.items():
        tags += [f"status:{r['status']}", f"{task}:{r['status']}"]
        if r.get("diagnosis"):
            tags.append(f"mistake:{task}:{r['diagnosis']}")
    return escape(" ".join(dict.fromkeys(tags)))


def _who(student: str, names: dict[str, str]) -> tuple[str, str]:
    """(the row's data-search, the name cell or nothing)."""
    name = names.get(student, "")
    search = escape(f"{student} {name}".lower())
    return search, (f"<td class=name>{escape(name)}</td>" if names else "")


def _filter(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    """The filter's options, each with its count of students: any task's status, then each task's statuses and
    diagnosed mistakes."""
    def option(value: str, text: str, n: int) -> str:
        return f'<option value="{escape(value)}">{escape(text)} ({n})</option>'

    per_status = Counter(s for run in runs for s in {r["status"] for r in run.results.values()})
    groups = ['<optgroup label="Any task">' + "".join(
        option(f"status:{s}", status_label(s), per_status[s]) for s in STATUS_LABELS if per_status[s]) + "</optgroup>"]
    statuses, mistakes = status_counts(runs), misconception_counts(runs)
    for task in tasks:
        passed = sum(run.results[task]["passed"] for run in runs)
        options = [option(f"{task}:passed", "passed", passed)] if passed else []
        options += [option(f"{task}:{s}", status_label(s), statuses[(task, s)])
                    for s in STATUS_LABELS if statuses.get((task, s))]
        options += [option(f"mistake:{task}:{key}", f"mistake: {DIAGNOSES[key].sentence}", n)
                    for (t, key), n in sorted(mistakes.items(), key=lambda kv: -kv[1]) if t == task]
        groups.append(f'<optgroup label="{escape(task)}">{"".join(options)}</optgroup>')
    return (f'<select class=filter aria-label="Show only"><option value="">every student</option>'
            f'{"".join(groups)}</select>')


def _toolbar(n: int, choices: str = "") -> str:
    return (f'<div class=toolbar><input type=search class=search placeholder="Search by student id or name" '
            f'aria-label="Search by student id or name">{choices}<span class=shown>{n} of {n} students</span></div>')


def _sortable(text: str, extra: str = "") -> str:
    return f"<th><button class=sort type=button>{escape(text)}</button>{extra}</th>"


def _matrix(assignment: str, runs: list[StudentRun], tasks: dict[str, TaskSpec], names: dict[str, str]) -> str:
    head = "".join(_sortable(t, f"<br><span class=small>{spec.points} pts</span>") for t, spec in tasks.items())
    body = []
    for run in runs:
        search, name = _who(run.student, names)
        cells = "".join(_cell(run.results[t], points(spec, run.results[t])) for t, spec in tasks.items())
        score = ('<td class="fault" data-v="">not graded</td>' if not_graded(run)
                 else f'<td data-v="{total(run, tasks)}">{total(run, tasks)}</td>')
        body.append(f'<tr data-search="{search}" data-tags="{_tags(run)}">'
                    f'<td><a href="#{_anchor(assignment, run.student)}">{escape(run.student)}</a></td>'
                    f"{name}{cells}{score}<td>{run.runtime_s:.1f}</td></tr>")
    full = sum(spec.points for spec in tasks.values())
    return (f"<div class=view>{_toolbar(len(runs), _filter(runs, tasks))}<div class=scroll><table class=matrix>"
            f"<thead><tr>{_sortable('student')}{_sortable('name') if names else ''}{head}"
            f"{_sortable('total', f'<br><span class=small>of {full}</span>')}{_sortable('wall s')}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div></div>")


def _plots(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    graded = [r for r in runs if not not_graded(r)]
    left_out = len(runs) - len(graded)
    note = f" ({left_out} not graded, left out)" if left_out else ""
    common = sorted(misconception_counts(runs).items(), key=lambda kv: (-kv[1], kv[0]))[:MISTAKES_SHOWN]
    bars = [(f"{task}: {DIAGNOSES[key].sentence}", n) for (task, key), n in common]
    return (f"<div class=charts><figure><figcaption>Score distribution{note}</figcaption>"
            f"{charts.histogram([total(r, tasks) for r in graded], sum(s.points for s in tasks.values()))}</figure>"
            f"<figure><figcaption>Commonest mistakes</figcaption>{charts.mistakes(bars, len(runs))}</figure></div>")


def _misconceptions(runs: list[StudentRun]) -> str:
    counts = misconception_counts(runs)
    if not counts:
        return "<p>No known mistake was diagnosed.</p>"
    n = len(runs)
    body = "".join(
        f"<tr><td>{task}</td><td>{escape(DIAGNOSES[key].sentence)}</td><td>{c}</td><td>{100 * c / n:.0f}%</td></tr>"
        for (task, key), c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"<table><tr><th>task</th><th>misconception</th><th>students</th><th>share of class</th></tr>{body}</table>"


def _statuses(runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    counts = status_counts(runs)
    if not counts:
        return "<p>Every check passed.</p>"
    statuses = [s for s in STATUS_LABELS if any(k == s for _, k in counts)]
    statuses += sorted({s for _, s in counts} - set(statuses))
    head = "".join(f"<th>{escape(status_label(s))}</th>" for s in statuses)
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


def _details(assignment: str, runs: list[StudentRun], tasks: dict[str, TaskSpec]) -> str:
    parts = []
    for run in runs:
        notes = "".join(f"<li>{escape(n)}</li>" for n in run.notes)
        msgs = "".join(f"<pre>{escape(run.results[t]['message'])}</pre>" for t in tasks)
        unconfined = "; <b>graded unconfined</b>" if run.not_isolated else ""
        parts.append(f'<details id="{_anchor(assignment, run.student)}"><summary>{escape(run.student)}</summary>'
                     f"<p class=small>{escape(run.notebook)}; {run.processes} process(es){unconfined}</p>"
                     f"{'<ul>' + notes + '</ul>' if notes else ''}{msgs}</details>")
    return "".join(parts)


def _assignment(assignment: str, runs: list[StudentRun], tasks: dict[str, TaskSpec], review: Review,
                names: dict[str, str]) -> str:
    return (f'<section class=tab id="{escape(f"a-{assignment}")}"><h2>{escape(assignment)}: {len(runs)} students'
            f"</h2>{_plots(runs, tasks)}"
            f"<h2>Student × task</h2><p class=small>Hover a cell for its full message; click a student for every "
            f"message; click a heading to sort.</p>{_matrix(assignment, runs, tasks, names)}"
            f"<h2>Misconceptions</h2>{_misconceptions(runs)}"
            f"<h2>Failures by status</h2>{_statuses(runs, tasks)}"
            f"<h2>Near-identical submissions</h2>{_similarity(review)}"
            f"<h2>Every message</h2>{_details(assignment, runs, tasks)}</section>")


def _course(course: dict[str, tuple[list[StudentRun], dict[str, TaskSpec], Review]], names: dict[str, str]) -> str:
    """Each student's points per assignment and in total; a student not graded on one has no total."""
    full = {a: sum(s.points for s in tasks.values()) for a, (_, tasks, _) in course.items()}
    runs = {a: {r.student: r for r in rs} for a, (rs, _, _) in course.items()}
    students = sorted({s for rs in runs.values() for s in rs})
    body, totals = [], []
    for student in students:
        search, name = _who(student, names)
        cells, score, graded = [], 0, True
        for a, (_, tasks, _) in course.items():
            run = runs[a].get(student)
            if run is None:
                cells.append('<td class=blank data-v="-1">no submission</td>')
            elif not_graded(run):
                cells.append(f'<td class=fault data-v="" title="{escape(run.notes[0] if run.notes else "")}">'
                             f"not graded</td>")
                graded = False
            else:
                points_a = total(run, tasks)
                score += points_a
                cells.append(f'<td data-v="{points_a}"><a href="#{_anchor(a, student)}">{points_a}</a></td>')
        if graded:
            totals.append(score)
        shown = f'<td data-v="{score}">{score}</td>' if graded else '<td class=fault data-v="">not graded</td>'
        body.append(f'<tr data-search="{search}"><td>{escape(student)}</td>{name}{"".join(cells)}{shown}</tr>')
    head = "".join(_sortable(a, f"<br><span class=small>of {full[a]}</span>") for a in course)
    left_out = len(students) - len(totals)
    note = f" ({left_out} not graded on some assignment, left out)" if left_out else ""
    histogram = charts.histogram(totals, sum(full.values()), "course total")
    return (f'<section class=tab id="course"><h2>Course: {len(students)} students, {len(course)} assignments</h2>'
            f"<div class=charts><figure><figcaption>Course totals{note}</figcaption>{histogram}</figure></div>"
            f"<div class=view>{_toolbar(len(students))}<div class=scroll><table class=course><thead><tr>"
            f"{_sortable('student')}{_sortable('name') if names else ''}{head}"
            f"{_sortable('total', f'<br><span class=small>of {sum(full.values())}</span>')}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div></div></section>")


def _not_isolated(runs: list[StudentRun]) -> str:
    """A red banner for each reason some students' code ran unconfined; empty where all ran in the sandbox."""
    reasons = Counter(why for why, _ in {(run.not_isolated, run.student) for run in runs if run.not_isolated})
    students = len({run.student for run in runs})
    return "".join(f'<div class="not-isolated">{escape(NOT_ISOLATED.format(why=why))} '
                   f"({n} of {students} students graded this way.)</div>" for why, n in sorted(reasons.items()))


def write_html(course: dict[str, tuple[list[StudentRun], dict[str, TaskSpec], Review]], path: Path, title: str,
               names: dict[str, str] | None = None) -> None:
    """report.html for `course`: assignment -> (its runs, its tasks, its similarity review); names: student id ->
    name, searchable and shown beside the id where given."""
    names = names or {}
    course = {a: (sorted(runs, key=lambda r: r.student), tasks, review) for a, (runs, tasks, review) in course.items()}
    every = [run for runs, _, _ in course.values() for run in runs]
    sections = "".join(_assignment(a, runs, tasks, review, names) for a, (runs, tasks, review) in course.items())
    if len(course) > 1:
        tabs = "".join(f'<button type=button data-tab="{escape(f"a-{a}")}">{escape(a)}</button>' for a in course)
        sections = (f'<div class=tabbed><nav class=tabs><button type=button data-tab="course">Course</button>{tabs}'
                    f"</nav>{_course(course, names)}{sections}</div>")
    students = len({run.student for run in every})
    page = (f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title><style>{_CSS}</style>"
            f"</head><body>{_not_isolated(every)}<h1>{escape(title)}</h1>"
            f"<p>{students} students, {len(course)} assignment{'' if len(course) == 1 else 's'}.</p>"
            f"{sections}<script>{SCRIPT}</script></body></html>")
    Path(path).write_text(page, encoding="utf-8")
