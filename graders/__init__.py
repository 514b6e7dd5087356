"""Grading for the DDPM Lab's assignments, by product. Imports run one way: engine <- sandbox <- nbgrader <- batch,
and compare (the TA tool) and student (the notebook's visible checks) on top; the engine imports nothing of the rest.

    engine/    cases, task specs, diagnoses, judging, results, the wire format the sandboxed worker speaks
    sandbox/   confinement (bubblewrap, prlimit, control groups), sandbox users, the runner, the worker and kernel
    nbgrader/  nbgrader's plugins and hooks, the hidden seed, releases, the students' copy and its leak scan
    batch/     nbgrader autograde for a whole class on Dask
    compare/   the TA tool: a class graded side by side, with its report
    student/   the checks a notebook's visible test cells run in the student's own kernel
"""
