"""A lecture hall on one server: simulated students speaking Streamlit's websocket protocol walk the lab's path
(bench/load/students.py) against `streamlit run streamlit_app.py`, and this prints, per class size, p50/p95/max
latency per interaction, errors, the server's CPU and peak RSS, and the paths completed:

    .venv/bin/python -m bench.bench_load --students 1 10 25            # a fresh server for each class size
    .venv/bin/python -m bench.bench_load --students 50 --duration 30 --browsers 2
    .venv/bin/python -m bench.bench_load --students 10 --url http://localhost:8501   # a server already running
    .venv/bin/python -m bench.bench_load --app /tmp/head   # `git archive HEAD | tar -x -C /tmp/head` first

Student i begins the path at its ith page (cyclically; --together starts everyone at the first), so that a run
shorter than the whole path still loads every page. Before the class arrives, the lecturer opens the lab once (the
server's first run imports the app; timed and printed apart) and, on a server this runs, the class waits until the
warm-up that visit started has finished (lab_app/views/warmup.py; "open the lab a few minutes before the lecture"). A latency runs from sending the BackMsg to the
script_finished that answers it: the server's work and its delivery, without the browser's drawing (--browsers N
adds N headless Chromium sessions on the same path, timed until the page has settled). Loopback only; each class
runs for --duration s plus at most --drain s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import browsers  # noqa: E402
from bench.load.protocol import Session  # noqa: E402
from bench.load.report import summarize, table  # noqa: E402
from bench.load.server import Monitor, listening_process, streamlit_server, wait_for_warm_up  # noqa: E402
from bench.load.students import LAB_PATH, Clock, starting_at_page, student  # noqa: E402

MAX_STUDENTS = 200  # bounded: one process holds every simulated student's websocket


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def progress(clock: Clock, records: list, every: float = 10.0) -> None:
    while True:
        await asyncio.sleep(every)
        answered = sum(r.answered for r in records)
        log(f"  {clock.now():5.0f} s: {len(records)} interactions done ({answered} answered, "
            f"{sum(bool(r.errors) for r in records)} with errors)")


async def first_load(url: str) -> float:
    """The lecturer opens the lab before the class arrives: the server's first run, which imports the app's
    modules. Seconds until it finished; RuntimeError if it did not."""
    async with Session(url) as session:
        run = await session.open_url("", timeout=120)
    if not run.answered or run.errors:
        raise RuntimeError(f"the lab's home page did not load: {run.status}, {run.errors}")
    return run.seconds


async def run_class(url: str, server, n: int, args: argparse.Namespace, log: Path | None = None) -> dict:
    """n students (and args.browsers Chromium sessions) on the lab at `url`, arriving evenly over the ramp, after
    the lecturer's first visit and, given the server's `log`, after the warm-up it started has finished."""
    first = await first_load(url)
    warm_up = None if log is None else await asyncio.to_thread(wait_for_warm_up, log)
    clock = Clock(ramp=min(args.ramp, args.duration / 2), duration=args.duration, drain=args.drain)
    records: list = []
    monitor = Monitor(server, url)
    background = [asyncio.create_task(monitor.run()), asyncio.create_task(progress(clock, records))]
    load_before = os.getloadavg()[0]
    think = tuple(args.think)
    students = [student(f"student {i}", url, clock, clock.ramp * i / n, think, args.seed * 10_000 + i, records,
                        starting_at_page(LAB_PATH, 0 if args.together else i), max_paths=args.paths)
                for i in range(n)]
    seen: list = []  # what the Chromium sessions saw
    chromium = browsers.run(args.browsers, url, clock, think, args.seed * 10_000 + MAX_STUDENTS, seen) \
        if args.browsers else asyncio.sleep(0, [])
    *paths, browser_paths = await asyncio.gather(*students, chromium)
    for task in background:
        task.cancel()
    conditions = dict(first_load_s=first, warm_up_wait_s=warm_up, duration_s=args.duration, drain_s=args.drain, think_s=think,
                      load_average_before=load_before, machine=monitor.summary())
    summary = summarize(records, students=n, paths_completed=sum(paths), **conditions)
    summary["records"] = [asdict(r) for r in records]  # every interaction, for a closer look
    if args.browsers:
        summary["browsers"] = summarize(seen, students=args.browsers, who="Chromium sessions",
                                        paths_completed=sum(browser_paths), **conditions)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 25],
                        help=f"class sizes to run, one after another (default 1 10 25; at most {MAX_STUDENTS})")
    parser.add_argument("--duration", type=float, default=75.0,
                        help="seconds during which students start interactions (default 75)")
    parser.add_argument("--drain", type=float, default=15.0,
                        help="seconds to wait after --duration for answers still due (default 15)")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="students arrive evenly over this many seconds (default 10, at most --duration / 2)")
    parser.add_argument("--think", type=float, nargs=2, default=[2.0, 6.0], metavar=("MIN", "MAX"),
                        help="think time before each interaction, uniform in [MIN, MAX] s (default 2 6)")
    parser.add_argument("--together", action="store_true",
                        help="every student starts at the path's first page (default: student i at page i, cyclically)")
    parser.add_argument("--paths", type=int, help="each student stops after this many paths (default: none)")
    parser.add_argument("--seed", type=int, default=0, help="seeds every student's think times and choices")
    parser.add_argument("--url", help="a lab already running on this machine (default: start one per class size)")
    parser.add_argument("--app", type=Path, default=ROOT,
                        help="the lab checkout to serve, e.g. an export of an earlier commit (default: this one)")
    parser.add_argument("--warm", action="store_true", help="one server for all class sizes (keeps its caches)")
    parser.add_argument("--browsers", type=int, default=0,
                        help="headless Chromium sessions on the same path, alongside the students (default 0)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_load.json",
                        help="the numbers as JSON (default runs/bench_load.json)")
    args = parser.parse_args()
    if any(not 1 <= n <= MAX_STUDENTS for n in args.students):
        parser.error(f"--students must lie in 1 … {MAX_STUDENTS}; got {args.students}")
    if args.duration <= 0 or args.drain < 0 or not 0 <= args.think[0] <= args.think[1]:
        parser.error("need --duration > 0, --drain >= 0 and 0 <= --think MIN <= MAX")
    if args.url and not args.url.split("//")[-1].startswith(("localhost", "127.0.0.1", "[::1]")):
        parser.error(f"--url must be a loopback address (localhost or 127.0.0.1); got {args.url}")

    logs = Path(tempfile.mkdtemp(prefix="bench_load_"))
    results = []
    shared = streamlit_server(logs / "server.log", app=args.app) if args.warm and not args.url else nullcontext()
    with shared as warm_server:
        for n in args.students:
            log_file = None if args.url else logs / ("server.log" if warm_server else f"server_{n}.log")
            if args.url:
                server_context = nullcontext((args.url, listening_process(args.url)))
            elif warm_server:
                server_context = nullcontext(warm_server)
            else:
                server_context = streamlit_server(log_file, app=args.app)
            with server_context as (url, server):
                log(f"{n} students on {url} for {args.duration:g} s (+ up to {args.drain:g} s drain)"
                    + (f", with {args.browsers} Chromium sessions" if args.browsers else ""))
                start = time.perf_counter()
                summary = asyncio.run(run_class(url, server, n, args, log_file))
                summary["wall_s"] = time.perf_counter() - start
            print(table(summary), flush=True)
            if "browsers" in summary:
                print("  in Chromium, end to end:\n" + table(summary["browsers"]), flush=True)
            results.append(summary)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=1))
    log(f"wrote {args.out}; server logs in {logs}")


if __name__ == "__main__":
    main()
