"""TeX to MathML when the feedback page is written, so that its formulas render with no script and no network:
Chromium and Firefox draw MathML Core themselves, where nbgrader's page fetches MathJax from a CDN and shows raw TeX
offline."""
from __future__ import annotations

import re
from collections.abc import Callable

from latex2mathml.converter import convert
from latex2mathml.symbols_parser import convert_symbol
from nbconvert.filters.markdown_mistune import IPythonRenderer

# latex2mathml writes a sized delimiter given as a command (\big\|, \Big\langle) as the command's name; given as
# the character itself (\big‖) it sizes it right.
_SIZED_COMMAND = re.compile(r"(\\(?:[bB]igg?[lrm]?|left|right|middle))\s*(\\[A-Za-z]+|\\\|)")
# In text mode \_ is an underscore, but latex2mathml keeps the backslash inside \text{...}.
_TEXT_ARGUMENT = re.compile(r"\\text\{([^{}]*)\}")


class UnrenderedMath(ValueError):
    """A formula latex2mathml cannot turn into MathML."""


def _sized_delimiter(match: re.Match) -> str:
    size, command = match.groups()
    code = convert_symbol(command)
    return f"{size}{chr(int(code, 16))}" if code else match.group(0)


def tex_to_mathml(tex: str, display: bool) -> str:
    """`tex` (the inside of $...$, or of $$...$$ with display) as a <math> element; UnrenderedMath names the formula
    if any of it would show as TeX."""
    tex = _SIZED_COMMAND.sub(_sized_delimiter, tex)
    tex = _TEXT_ARGUMENT.sub(lambda m: "\\text{" + m.group(1).replace("\\_", "_") + "}", tex)
    try:
        # No xmlns: HTML puts <math> in MathML's namespace by itself, and with one, nbconvert's heading anchors
        # (ElementTree) rewrite a heading's formula as <ns0:math>, which HTML does not know.
        mathml = convert(tex, xmlns="", display="block" if display else "inline").replace(' xmlns=""', "", 1)
    except Exception as e:  # the converter's parse errors have no common base class
        raise UnrenderedMath(f"cannot render the formula {tex!r} as MathML: {type(e).__name__}: {e}") from e
    left = re.findall(r"\\[A-Za-z|]+", re.sub(r"<[^>]*>", " ", mathml))
    if left:
        raise UnrenderedMath(f"the formula {tex!r} would show {', '.join(dict.fromkeys(left))} as TeX: "
                             f"latex2mathml does not know {'it' if len(set(left)) == 1 else 'them'}")
    return mathml


class MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer with each formula as MathML. A formula that does not convert is reported to
    `unrendered` and shown as its TeX in a <code class="tex-unrendered">, so that one formula cannot stop a page."""

    def __init__(self, unrendered: Callable[[UnrenderedMath], None], **kw):
        super().__init__(**kw)
        self.unrendered = unrendered

    def _math(self, tex: str, display: bool, delimiter: str) -> str:
        try:
            return tex_to_mathml(tex, display)
        except UnrenderedMath as e:
            self.unrendered(e)
            return f'<code class="tex-unrendered">{self.escape_html(delimiter + tex + delimiter)}</code>'

    def block_math(self, body: str) -> str:
        return self._math(body, True, "$$")

    def inline_math(self, body: str) -> str:
        return self._math(body, False, "$")

    def latex_environment(self, name: str, body: str) -> str:
        return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", True, "")
