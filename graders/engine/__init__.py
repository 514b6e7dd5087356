"""The grading engine: what is checked and how an answer is judged. It imports nothing of graders/sandbox/.

    judging.py     plan(spec, level) -> the cases as plain data; judge(plan, replies) -> a CheckResult
    cases.py       seeded cases and dtype-scaled tolerances
    tasks/         one TaskSpec per graded function, a module per assignment
    diagnoses/     the known wrong formulas a failure is matched against, a module per assignment
    upstream.py    the calls a task made to the student's own earlier functions, for blaming those
    results.py     CheckResult (one check) and StudentRun (one student, for the TA tool)
    faults.py      GradingFault: a failure of the machinery, never a grade
    notebook.py    the cells a worker runs, read from a notebook (parsing only)
    wire.py        the plain-data format of a job and of the worker's replies
    stand_ins.py   the stand-in networks a task hands the student's function (shared with the worker)
"""
