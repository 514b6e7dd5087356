"""The course in nbgrader: its plugins and hooks, the release of its notebooks and the students' copy.

    grade.py             ConfinedExecute and GradeWithEngine, nbgrader autograde's preprocessors
    canary.py            the instructor's solution, graded first by every batch
    hidden_seed.py       the course's secret seed of the hidden cases
    submission_files.py  the pre-convert hook setting aside what a submission may not carry
    unreadable.py        notebooks that cannot be read, recorded as not graded
    late_penalty.py      the late-submission policy plugin
    export/              grades out: the course CSV, Canvas, Moodle
    feedback/            the feedback page's exporter and template
    cli.py               the nbgrader command line, run from Python
    release.py           a course's released notebooks (nbgrader generate_assignment)
    build_release.py     `python -m graders.nbgrader.build_release`: the notebooks the lab serves
    handout.py           `python -m graders.nbgrader.handout DEST`: the students' copy
    leak_scan.py         `python -m graders.nbgrader.leak_scan DIR`: any solution in a folder
"""
