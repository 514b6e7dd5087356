"""The course's late-submission policy: a fixed number of points off per started day late.

nbgrader records each submission's time (the timestamp.txt beside the notebook, written by `nbgrader submit` and
kept by `nbgrader collect`) and the assignment's due date (`nbgrader db assignment add NAME --duedate=...`), and
its AssignLatePenalties step (assignments/nbgrader_config.py) asks this plugin for the penalty of a late notebook.
A submission 1 second to 24 hours late loses points_per_day, 24 h to 48 h twice that, and so on; nbgrader caps the
penalty at the notebook's score, so a grade never goes below 0. An on-time submission, or one without a timestamp
or due date, loses nothing.
"""
from __future__ import annotations

import math

from nbgrader.plugins import BasePlugin
from traitlets import Float, TraitError, validate

DAY_S = 24 * 60 * 60


class PointsPerDayLate(BasePlugin):
    """Penalty = points_per_day × started days late (c.PointsPerDayLate.points_per_day in the course config)."""

    points_per_day = Float(2.5, help="Points taken off a late submission for each started day (24 h) past the "
                                     "due date.").tag(config=True)

    @validate("points_per_day")
    def _non_negative(self, proposal):
        if not proposal["value"] >= 0:
            raise TraitError(f"PointsPerDayLate.points_per_day must be >= 0; got {proposal['value']}")
        return proposal["value"]

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        """nbgrader's plugin call: the points `student_id` loses for handing in `total_seconds_late` s late."""
        days = math.ceil(total_seconds_late / DAY_S) if total_seconds_late > 0 else 0
        penalty = self.points_per_day * days
        self.log.info("%s: %d day(s) late, %g point(s) off", student_id, days, penalty)
        return penalty
