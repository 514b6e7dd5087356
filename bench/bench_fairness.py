"""Does every correct submission get its points at every course seed? The engine alone, over many seeds.

For each seed (a course's secret seed, graders/nbgrader/hidden_seed.py) this draws the sanity and the hidden cases of every
task of both assignments once (engine.plan) and grades with them, in this process as graders/student/checks.py does (no
nbgrader, no sandbox): the instructor's solution cells from assignments/source/, every correct variant of
tests/test_graders_fairness*.py (VARIANTS: full marks expected) and the published ports with float32 coefficients
(PRECISION_SLIPS: full marks, or the precision slip's one point off). A task's points are the notebook's: its
sanity cell's if that check passed, plus its hidden cell's less any points lost, if that one passed.

Prints one row per variant: seeds graded, seeds at full marks, the points it should get, the fewest it got, and
the seeds where it got anything else (with the first such message).

Run: .venv/bin/python -m bench.bench_fairness [--seeds 500] [--first 0] [--jobs 2]
"""
from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import torch
from tqdm import tqdm

from graders.engine import judging as engine
from graders.sandbox import worker
from graders.student.checks import run_plan
from graders.engine.notebook import solution_cells
from graders.engine.tasks import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ("sanity", "full")


@dataclass(frozen=True)
class Variant:
    assignment: str
    task: str
    name: str
    fn: Callable
    points: int  # the task's points
    lowest: int  # the fewest points this variant should get at any seed

    @property
    def expected(self) -> str:
        return str(self.points) if self.lowest == self.points else f"{self.lowest}–{self.points}"

    @property
    def label(self) -> str:
        return f"{self.task}/{self.name}"


def instructor(assignment: str) -> dict[str, Callable]:
    """The solution cells of assignments/source/<assignment>/<assignment>.ipynb, run in one namespace."""
    nb = nbformat.read(ROOT / "assignments" / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace = {"torch": torch}
    for source in solution_cells(nb).values():
        exec(compile(source, f"<{assignment} solution>", "exec"), namespace)
    return {task: namespace[task] for task in ASSIGNMENTS[assignment]}


def variants() -> list[Variant]:
    """The instructor's solutions, then every fairness variant and precision slip, in task order."""
    sys.path[:0] = [str(ROOT / "tests" / "graders"), str(ROOT / "tests" / "support")]  # the variants live with the tests that hold them to full marks
    import test_graders_fairness
    import test_graders_fairness_beyond

    modules = {"ddpm_core": test_graders_fairness, "ddpm_beyond": test_graders_fairness_beyond}
    out = []
    for assignment, tasks in ASSIGNMENTS.items():
        solutions = instructor(assignment)
        for task, spec in tasks.items():
            out.append(Variant(assignment, task, "instructor", solutions[task], spec.points, spec.points))
            out += [Variant(assignment, task, fn.__name__, fn, spec.points, spec.points)
                    for fn in modules[assignment].VARIANTS[task]]
            out += [Variant(assignment, task, fn.__name__, fn, spec.points, spec.points - engine.SLIP_COST)
                    for fn in modules[assignment].PRECISION_SLIPS.get(task, [])]
    return out


VARIANTS: list[Variant] = []  # filled in the parent before the pool forks, so workers share it
_DECODED: dict[int, tuple[dict, torch.Tensor]] = {}  # id(wire argument) -> (it, decoded), for one seed's plans
_decode_arg = worker.decode_arg


def _decode_once(arg: dict):
    """worker.decode_arg, a tensor decoded once per seed: the decode checks every number of the plain-data inputs,
    a third of the time here, and they are the same for every variant. Each call still gets its own copy."""
    if "tensor" not in arg:
        return _decode_arg(arg)  # numbers, and stand-in models with their own record of calls
    if id(arg) not in _DECODED:
        _DECODED[id(arg)] = arg, _decode_arg(arg)  # holding `arg` keeps its id from being reused
    return _DECODED[id(arg)][1].clone()


def grade_seed(seed: int) -> list[tuple[int, str]]:
    """(points, message of the first check that cost any) of every variant at `seed`, in VARIANTS order."""
    plans = {}
    _DECODED.clear()
    out = []
    for v in VARIANTS:
        spec = ASSIGNMENTS[v.assignment][v.task]
        points, why = 0, ""
        for level in LEVELS:
            if (v.task, level) not in plans:
                plans[v.task, level] = engine.plan(spec, level, seed)
            result = run_plan(plans[v.task, level], v.fn)
            worth = spec.points_sanity if level == "sanity" else spec.points_hidden - result.points_lost
            points += worth if result.passed else 0
            if not why and (not result.passed or result.points_lost):
                why = f"{level}: {result.message}"
        out.append((points, why))
    return out


def _worker_init() -> None:
    torch.set_num_threads(1)  # tiny tensors: one thread each, and as many processes as cores
    # worker.call scans a function's code for the lab's imports at every call, a fifth of the time here; the scan
    # reads the code alone, so once per function gives the same answers
    worker.static_touches = functools.lru_cache(maxsize=None)(worker.static_touches)
    worker.decode_arg = _decode_once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500, help="how many course seeds (default 500)")
    parser.add_argument("--first", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: every core)")
    args = parser.parse_args()
    VARIANTS[:] = variants()
    seeds = range(args.first, args.first + args.seeds)
    start = time.perf_counter()
    got: dict[int, list[tuple[int, str]]] = {}
    with multiprocessing.get_context("fork").Pool(args.jobs, _worker_init) as pool:
        for seed, row in tqdm(zip(seeds, pool.imap(grade_seed, seeds)), total=len(seeds), unit="seed"):
            got[seed] = row
        pool.close()
        pool.join()  # reaped, so their CPU time counts below
    wall = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = children.ru_utime + children.ru_stime
    print(f"{len(seeds)} seeds ({seeds.start}–{seeds.stop - 1}) × {len(VARIANTS)} variants, sanity and hidden "
          f"checks: {wall:.0f} s on {args.jobs} process{'es' if args.jobs > 1 else ''}, {cpu:.0f} CPU s "
          f"({1e3 * cpu / len(seeds) / len(VARIANTS):.0f} ms per variant and seed)")
    width = max(len(v.label) for v in VARIANTS)
    print(f"{'variant':{width}s}  seeds  full marks  expected  min points  failures (seeds)")
    unfair = 0
    for i, v in enumerate(VARIANTS):
        points = {seed: row[i][0] for seed, row in got.items()}
        wrong = [seed for seed, p in points.items() if not v.lowest <= p <= v.points]
        full = sum(p == v.points for p in points.values())
        shown = ", ".join(map(str, wrong[:8])) + (", …" if len(wrong) > 8 else "")
        print(f"{v.label:{width}s}  {len(points):5d}  {full:10d}  {v.expected:>8s}  {min(points.values()):10d}  "
              f"{len(wrong)}" + (f" ({shown})" if wrong else ""))
        if wrong:
            unfair += 1
            print("    " + got[wrong[0]][i][1].replace("\n", "\n    ")[:1200])
    print(f"{unfair} of {len(VARIANTS)} variants got other than their points at some seed")


if __name__ == "__main__":
    main()
