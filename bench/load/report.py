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
             "unanswered": sum(r.status == "timeout" for r in records),
             "queue_shown": sum(r.queue_shown for r in records), "progress_shown": sum(r.progress_shown for r in records)}
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
           f"server CPU {m['cpu_mean_percent']:.0f}% of a core on average ({m['cpu_server_mean_percent']:.0f}% in "
           f"the server process, the rest in its compute process), {m['cpu_peak_percent']:.0f}% at peak; peak memory "
           f"{m['pss_peak_mib']:.0f} MiB PSS, {m['rss_peak_mib']:.0f} MiB RSS summed, "
           f"{m['rss_server_peak_mib']:.0f} MiB RSS in the server process")
    lines = [f"{summary['students']} {summary.get('who', 'simulated students')} for {summary['duration_s']:g} s: {cpu}; "
             f"{summary['paths_completed']} paths completed; {summary['errors']} interactions with errors",
             f"  first page load after the server started (the lecturer's): {summary['first_load_s']:.2f} s"
             + ("" if summary.get("warm_up_wait_s") is None else
                f", then the warm-up it started finished {summary['warm_up_wait_s']:.0f} s later") + "; "
             f"machine: load average {summary['load_average_before']:.1f} before, {m['load_average_mean']:.1f} "
             f"on average during the run ({m['load_average_peak']:.1f} at peak); this harness used "
             f"{m['harness_cpu_percent']:.0f}% of a core" + ("" if m.get("harness_lag_p95_s") is None else
                                                            f", its event loop lagged {m['harness_lag_p95_s']:.2f} s "
                                                            f"at p95 ({m['harness_lag_max_s']:.2f} s at most)")
             + ("" if m.get("health_p95_s") is None else
                f"; the server answered /_stcore/health in {m['health_p95_s']:.2f} s at p95 "
                f"({m['health_max_s']:.2f} s at most)"),
             f"  {'interaction':<24} {'class':<15} {'n':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>6} "
             f"{'unanswered':>10}"]
    rows = [(step, s["class"], s) for step, s in summary["interactions"].items()]
    rows += [(f"all {name}", "", s) for name, s in summary["classes"].items()]
    for name, kind, s in rows:
        lines.append(f"  {name:<24} {kind:<15} {s['n']:>4} {_cell(s['p50_s']):>7} {_cell(s['p95_s']):>7} "
                     f"{_cell(s['max_s']):>7} {s['errors']:>6} {s['unanswered']:>10}")
    heavy = summary["classes"]["sampling/bound"]
    if heavy["n"]:
        lines.append(f"  sampling/bound: {heavy['answered']} of {heavy['n']} answered; {heavy['queue_shown']} showed "
                     f"their place in the queue, {heavy['progress_shown']} a progress bar")
    lines += [f"  error: {e}" for e in summary["error_messages"]]
    return "\n".join(lines)
