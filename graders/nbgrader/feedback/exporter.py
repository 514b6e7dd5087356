"""The HTML exporter of `nbgrader generate_feedback` (assignments/nbgrader_config.py: GenerateFeedback.exporter_class).

nbgrader's feedback page, with what a student needs to read it in full (docs/feedback.md):
- the score summary names each test cell's task and level ("q_sample — hidden cases"), not "Test cell" eight times;
- every verdict wraps to the page, so its diagnosis and its pointer to the lab are never cut off at the right;
- formulas are MathML, written here (graders/nbgrader/feedback/mathml.py): the page loads no script and makes no
  request;
- page names of the lab link to the lab at `lab_url` (graders/nbgrader/feedback/lab_pages.py).
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbgrader
from jinja2 import pass_context
from markupsafe import Markup
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import MarkdownWithMath
from traitlets import TraitError, Unicode, validate
from traitlets.config import Config

from ...engine.notebook import is_test
from ...engine.tasks import tasks_of
from ..grade import task_of_cell
from .lab_pages import LabLinks, check_lab_url, lab_pages, router_path
from .mathml import MathMLRenderer, UnrenderedMath

TEMPLATES = Path(__file__).with_name("templates")
FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
# where the template finds nbgrader's feedback/index.html.j2, and the Bootstrap CSS that page includes
NBGRADER_TEMPLATE_PATHS = [FORMGRADER / "templates",
                           FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css"]
LEVEL_NAMES = {"sanity": "visible check", "full": "hidden cases"}  # task_of_cell's levels, in the summary's words


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (its template extended by templates/ddpm_feedback), readable offline and in full."""

    lab_url = Unicode("", help="The lab's address, e.g. https://ddpm-lab.example.edu/: pages the feedback names link "
                               "there. Empty: page names without links.").tag(config=True)

    def _load_config(self, cfg, section_names=None, traits=None):
        """The config with this page's template in it: GenerateFeedback sets HTMLExporter's template to nbgrader's
        page on every run, and this page is its template (it extends nbgrader's, found in the formgrader folder)."""
        cfg = copy.deepcopy(cfg)
        cfg.merge(Config({"FeedbackExporter": {"template_name": "ddpm_feedback",
                                               "extra_template_basedirs": [str(TEMPLATES)],
                                               "extra_template_paths": [str(p) for p in NBGRADER_TEMPLATE_PATHS]}}))
        super()._load_config(cfg, section_names, traits)

    @validate("lab_url")
    def _check_lab_url(self, proposal):
        try:
            return check_lab_url(proposal["value"])
        except ValueError as e:
            raise TraitError(f"FeedbackExporter.lab_url: {e}") from e

    def default_filters(self):
        yield from super().default_filters()
        links = LabLinks(self.lab_url, lab_pages(router_path()) if self.lab_url else [])
        yield "markdown2html", self._markdown_filter(links)
        yield "verdict", links.in_message
        yield "is_test_cell", is_test
        yield "graded_cell_title", graded_cell_title

    def _markdown_filter(self, links: LabLinks):
        """HTMLExporter's markdown2html, with formulas as MathML and the lab's pages linked."""
        @pass_context
        def markdown2html(context, source: str) -> Markup:
            cell = context.get("cell", {})
            renderer = MathMLRenderer(
                self._unrendered, escape=False, attachments=cell.get("attachments", {}),
                embed_images=self.embed_images, path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options)
            return Markup(links.in_markdown(MarkdownWithMath(renderer=renderer).render(source)))
        return markdown2html

    def _unrendered(self, error: UnrenderedMath) -> None:
        self.log.warning("Feedback: %s; the page shows it as TeX.", error)


def graded_cell_title(cell, assignment: str) -> str:
    """A graded cell's line in the score summary: a test cell by its task and level, the rest as nbgrader says."""
    meta = cell.metadata.nbgrader
    if is_test(cell):
        task_level = task_of_cell(cell, tasks_of(assignment))
        return f"{task_level[0]} — {LEVEL_NAMES[task_level[1]]}" if task_level else f"Test cell {meta.grade_id}"
    if meta.get("task"):
        return "Task"
    return "Coding free-response" if cell.cell_type == "code" else "Written response"
