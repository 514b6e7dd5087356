"""What a student's kernel imports: the checks behind the notebook's visible test cells (checks.py). No solution and
no hidden case lives here; the students' copy (graders/nbgrader/handout.py) ships what these import, and its leak
scan checks that.
"""
