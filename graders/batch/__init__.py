"""nbgrader autograde for a whole class on Dask: `python -m graders.batch.autograde ASSIGNMENT`.

    autograde.py   the command: one Dask task per student, each nbgrader's own autograde
    cluster.py     a Dask client (a LocalCluster, or any cluster's scheduler) and the per-student task loop
"""
