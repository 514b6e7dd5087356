"""Running a student's code confined: nothing here judges (graders/engine/ does).

    confine.py   bubblewrap, prlimit and the mounts of one sandbox; reap
    cgroup.py    a control group per sandbox, holding its processes to one memory and process limit
    users.py     leases of the sandbox users, one per concurrent sandbox on the machine
    runner.py    grade_cells: a submission's cells through confined workers, each reply judged by the engine
    worker.py    what runs inside: load the student's cells, call their functions, answer in plain data
    kernel.py    the confined notebook kernel nbgrader autograde runs, for the feedback's outputs
"""
