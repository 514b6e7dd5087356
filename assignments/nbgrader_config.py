"""nbgrader configuration of the DDPM Lab course. Run every nbgrader command from this folder (assignments/).

The checks behind the test cells live in the repository's graders/ package; the notebook's setup cell finds it by
walking up from the notebook's folder (or through PYTHONPATH when the course is copied elsewhere).
"""
c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "ddpm-lab"

# Every released notebook starts with the course header.
c.IncludeHeaderFooter.header = "source/header.ipynb"

# What students see in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# A cell still running after this many seconds is interrupted and scores 0; grading goes on with the next cell.
# The checks stop a student's function themselves after 5 s per call and 20 s per check, so this limit only
# catches code outside a function, such as an endless loop at the top of a solution cell.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
