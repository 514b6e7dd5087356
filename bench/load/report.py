"""The numbers of a load run: p50/p95/max latency per interaction and per class (interactive against
sampling/bound), errors, unanswered interactions, completed paths and the server's CPU and memory; printed as a
table and kept as JSON."""
from __future__ import annotations

import numpy as np

from bench.load.students import LAB_PATH, OPEN_HOME, Interaction

CLASSES = {False: "interactive", True: "sampling/bound"}
ORDER = list(dict.fromkeys([OPEN_HOME, *(step.name for step in LAB_PATH)]))  # rows in the path's order


def latency(records: list[Interaction]) -> dict:
    """n, p50/p95/max seconds over the answered interactions, errors (interactions with an exception, st.error,
    a missing widget or a dropped connection) and unanswered ones (no script_finished before the run ended)."""
    seconds = [r.seconds for r in records if r.answered]
    stats = {"n": len(records), "answered": len(seconds),
             "errors": sum(bool(r.errors) for r in records),
             "unanswered": sum(r.status == "timeout" for r in records)}
    if seconds:
        p50, p95 = np.percentile(seconds, [50, 95])
        stats.update(p50_s=float(p50), p95_s=float(p95), max_s=max(seconds))
    else:
        stats.update(p50_s=None, p95_s=None, max_s=None)
    return stats


def summarize(records: list[Interaction], **conditions) -> dict:
    """Per interaction (in the path's order) and per class; `conditions` (students, machine, …) are kept."""
    steps = {}
    for r in sorted(records, key=lambda r: ORDER.index(r.step) if r.step in ORDER else len(ORDER)):
        steps.setdefault(r.step, []).append(r)
    errors = sorted({e for r in records for e in r.errors})
    return {**conditions,
            "interactions": {step: {"class": CLASSES[rs[0].heavy], **latency(rs)} for step, rs in steps.items()},
            "classes": {name: latency([r for r in records if r.heavy == heavy]) for heavy, name in CLASSES.items()},
            "errors": sum(bool(r.errors) for r in records), "error_messages": errors[:10]}


def _cell(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def table(summary: dict) -> str:
    """The summary as text: two lines of conditions, then one row per interaction and per class."""
    m = summary["machine"]
    cpu = ("server CPU not measured" if m["cpu_mean_percent"] is None else
           f"server CPU {m['cpu_mean_percent']:.0f}% of a core on average, {m['cpu_peak_percent']:.0f}% at peak, "
           f"peak RSS {m['rss_peak_mib']:.0f} MiB")
    lines = [f"{summary['students']} {summary.get('who', 'simulated students')} for {summary['duration_s']:g} s: {cpu}; "
             f"{summary['paths_completed']} paths completed; {summary['errors']} interactions with errors",
             f"  first page load after the server started (the lecturer's): {summary['first_load_s']:.2f} s; "
             f"machine: load average {summary['load_average_before']:.1f} before, {m['load_average_mean']:.1f} "
             f"on average during the run ({m['load_average_peak']:.1f} at peak); this harness used "
             f"{m['harness_cpu_percent']:.0f}% of a core",
             f"  {'interaction':<24} {'class':<15} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>6} "
             f"{'unanswered':>10}"]
    rows = [(step, s["class"], s) for step, s in summary["interactions"].items()]
    rows += [(f"all {name}", "", s) for name, s in summary["classes"].items()]
    for name, kind, s in rows:
        lines.append(f"  {name:<24} {kind:<15} {s['n']:>4} {_cell(s['p50_s']):>7} {_cell(s['p95_s']):>7} "
                     f"{_cell(s['max_s']):>7} {s['errors']:>6} {s['unanswered']:>10}")
    lines += [f"  error: {e}" for e in summary["error_messages"]]
    return "\n".join(lines)
