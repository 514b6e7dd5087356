"""Links from the feedback to the lab's pages. Messages say "The lab's Sampling page shows this idea." and the
notebooks "the **Sampling** page"; with the lab's address set, each such page name becomes a link to that page.

The pages come from the lab's router, streamlit_app.py, read as text (the feedback must not import Streamlit): each
`st.Page(script, title=...)` is served at the script's file name without `.py`, Streamlit's default, and the
`default=True` page at the lab's root.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup, escape

ROUTER = "streamlit_app"  # the lab's router module, in a checkout or installed by `pip install .`


@dataclass(frozen=True)
class LabPage:
    title: str  # as the lab's navigation shows it
    url_path: str  # where Streamlit serves it, relative to the lab's address; "" for the default page

    @property
    def names(self) -> set[str]:
        """What the feedback may call the page: its title, or the title without a trailing formula or parenthesis
        ("Posterior" for "Posterior q(xₜ₋₁ | xₜ, x₀)", "Training" for "Training (Algorithm 1)")."""
        return {self.title, re.split(r" q\(| \(", self.title)[0]}


def router_path() -> Path:
    """The file of the lab's router, found as Python finds the module (without running it)."""
    spec = importlib.util.find_spec(ROUTER)
    if spec is None or not spec.origin:
        raise FileNotFoundError(f"the lab's router ({ROUTER}.py) is not importable, so its pages cannot be linked: "
                                f"run from the repository (on PYTHONPATH) or `pip install` the lab")
    return Path(spec.origin)


def lab_pages(router: Path) -> list[LabPage]:
    """Every `st.Page(script, title=..., default=..., url_path=...)` of the router, in order."""
    pages = []
    for node in ast.walk(ast.parse(router.read_text(), str(router))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"):
            continue
        keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        script = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
        if not isinstance(script, str) or "title" not in keywords:
            raise ValueError(f"{router}:{node.lineno}: an st.Page without a literal script and title; the feedback "
                             f"links pages by the router's literal st.Page(script, title=...) calls")
        path = "" if keywords.get("default") else keywords.get("url_path", Path(script).stem).strip("/")
        pages.append(LabPage(keywords["title"], path))
    if not pages:
        raise ValueError(f"{router} defines no st.Page: is it the lab's router?")
    return pages


def check_lab_url(lab_url: str) -> str:
    """`lab_url` if it is empty (pages named, not linked) or an http(s) address; else a ValueError naming it."""
    parts = urlsplit(lab_url)
    if lab_url and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment):
        raise ValueError(f"the lab's URL must be an http(s) address such as https://ddpm-lab.example.edu/ (or empty: "
                         f"page names without links); got {lab_url!r}")
    return lab_url


class LabLinks:
    """Page names turned into links to the lab at `lab_url`; with no `lab_url`, names stay text, never a dead link."""

    def __init__(self, lab_url: str, pages: list[LabPage]):
        self.lab_url = check_lab_url(lab_url)
        self.page_of = {name: page for page in pages for name in page.names}
        longest_first = sorted(self.page_of, key=len, reverse=True)
        names, escaped = ("|".join(re.escape(str(f(n))) for n in longest_first) for f in (str, escape))
        self._in_message = re.compile(rf"(?<=[Tt]he lab's )({names})(?= page\b)")
        self._in_markdown = re.compile(rf"<(strong|em)>({escaped})</\1>(?=\s+page\b)")

    def href(self, page: LabPage) -> str:
        return f"{self.lab_url.rstrip('/')}/{page.url_path}"

    def _a(self, inner: str, page: LabPage) -> str:
        return f'<a class="lab-page" href="{escape(self.href(page))}">{inner}</a>'

    def in_message(self, message: str) -> Markup:
        """A check's message, escaped, with "the lab's X page" linked."""
        if not self.lab_url:
            return escape(message)
        out, end = [], 0
        for m in self._in_message.finditer(message):
            out += [escape(message[end:m.start()]), self._a(escape(m.group(1)), self.page_of[m.group(1)])]
            end = m.end()
        return Markup("".join(map(str, out + [escape(message[end:])])))

    def in_markdown(self, html: str) -> str:
        """Rendered Markdown with "**X** page" and "*X* page" linked."""
        if not self.lab_url:
            return html
        by_escaped = {str(escape(name)): page for name, page in self.page_of.items()}
        return self._in_markdown.sub(lambda m: self._a(m.group(0), by_escaped[m.group(2)]), html)
