"""Does grade_class grade students side by side on a Dask cluster, and grade an unreadable notebook as missing?"""
from __future__ import annotations

import time

import pytest

from compare_class import ROOT, solutions, write_notebook
from graders.compare import Submission, grade_class

PLANTED_BEYOND = ROOT / "tests" / "graders" / "submissions" / "ddpm_beyond"

SLOW_ONCE = '''import time

_slept = []


def q_sample(x0, t, noise, alpha_bar):
    if not _slept:
        _slept.append(True)
        time.sleep(3)
    ab = alpha_bar[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab.sqrt().to(x0.dtype) * x0 + (1 - ab).sqrt().to(x0.dtype) * noise
'''


@pytest.mark.exclusive  # overlap is read from wall time: beside another test file the CPU contention eats it
def test_two_workers_grade_two_students_at_once(tmp_path, dask_pair):
    """With two students who each sleep 3 s, on a cluster of 2 workers, does the class take at least 2 s less than
    the two gradings' own times added up (so they overlapped), each passing, in the submissions' order?"""
    base = solutions()
    subs = [Submission(s, write_notebook(tmp_path, s, {**base, "q_sample": SLOW_ONCE})) for s in ("b", "a")]
    start = time.perf_counter()
    runs = grade_class(subs, progress=False, client=dask_pair)
    wall_s = time.perf_counter() - start
    assert [run.student for run in runs] == ["b", "a"]
    assert all(r["passed"] for run in runs for r in run.results.values())
    assert min(run.runtime_s for run in runs) > 3
    assert wall_s < sum(run.runtime_s for run in runs) - 2, (wall_s, [run.runtime_s for run in runs])


def test_unreadable_notebook_fails_every_task(tmp_path, dask_pair):
    """Is a submission whose file is not a notebook, or not text, graded as missing on every task, with a note
    saying why, next to a student graded normally?"""
    bad, binary = tmp_path / "broken.ipynb", tmp_path / "binary.ipynb"
    bad.write_text("not a notebook")
    binary.write_bytes(b"\xff\xfe\x00\x81")
    good = write_notebook(tmp_path, "eve", solutions())
    dee, fay, eve = grade_class([Submission("dee", bad), Submission("fay", binary), Submission("eve", good)],
                                progress=False, client=dask_pair)
    for run, why in ((dee, "is not a readable notebook"), (fay, "could not be read as UTF-8 text")):
        assert {r["status"] for r in run.results.values()} == {"missing"}
        assert run.processes == 0 and why in run.notes[0]
    assert all(r["passed"] for r in eve.results.values())



def test_the_second_assignment_side_by_side(tmp_path, dask_pair):
    """Does the TA tool grade `ddpm_beyond` on the same engine: the instructor's solution passes all four tasks, and a
    student who decodes the standardised latent fails only sample_latent, with the mistake named?"""
    assignment = "ddpm_beyond"
    base = solutions(assignment)
    planted = (PLANTED_BEYOND / "sample_latent__latent_not_unstandardised.py").read_text()
    subs = [Submission("ada", write_notebook(tmp_path, "ada", base, assignment)),
            Submission("bo", write_notebook(tmp_path, "bo", {**base, "sample_latent": planted}, assignment))]
    ada, bo = grade_class(subs, progress=False, client=dask_pair, assignment=assignment)
    assert set(ada.results) == {"kl_term", "ddim_step", "ddim_sample", "sample_latent"}
    assert all(r["passed"] for r in ada.results.values())
    assert [task for task, r in bo.results.items() if not r["passed"]] == ["sample_latent"]
    assert bo.results["sample_latent"]["diagnosis"] == "latent_not_unstandardised"
