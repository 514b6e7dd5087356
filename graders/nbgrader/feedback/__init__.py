"""The feedback page students get from `nbgrader generate_feedback`: task names in the summary, verdicts that wrap,
formulas as MathML with no network, and links to the lab's pages (docs/feedback.md)."""
from .exporter import FeedbackExporter

__all__ = ["FeedbackExporter"]
