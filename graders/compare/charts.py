"""The report's two plots as inline SVG written here: a histogram of totals and a bar chart of the commonest mistakes.

Inline SVG, not a plotting library's output or a script from a CDN, so that report.html stays one file that needs
no network and no JavaScript to show them. Every bar carries its count in `data-count` (and a tooltip), which is
what the report's tests read back.
"""
from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 560, 210  # the histogram's box, px
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 36, 34, 10
MAX_BINS = 30  # integer totals get a bar each up to this many; more are grouped into ranges
BAR_ROW = 22  # px per mistake in the bar chart
LABEL_WIDTH = 400  # px of the bar chart's labels; longer labels are cut, in full in the tooltip
LABEL_CHARS = 60


def bins(full: int) -> list[tuple[int, int]]:
    """The histogram's bins over totals 0 … full, as inclusive (low, high) integer ranges of equal width."""
    if full < 0:
        raise ValueError(f"full marks must be at least 0; got {full}")
    width = -(-(full + 1) // MAX_BINS)  # ceil: at most MAX_BINS bins
    return [(low, min(low + width - 1, full)) for low in range(0, full + 1, width)]


def histogram(totals: list[int], full: int, what: str = "total") -> str:
    """An SVG histogram of `totals` (each 0 … full): one bar per bin, its height the number of students."""
    if any(not 0 <= t <= full for t in totals):
        outside = sorted({t for t in totals if not 0 <= t <= full})
        raise ValueError(f"every {what} must lie in 0 … {full}; got {outside}")
    ranges = bins(full)
    counts = [sum(low <= t <= high for t in totals) for low, high in ranges]
    tallest = max(counts, default=0) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / len(ranges)
    parts = [f'<svg class="histogram" role="img" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'><title>{len(totals)} students by {escape(what)} '
             f'(0 to {full} points)</title>',
             f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 8}" y2="{PAD_TOP + plot_h}" stroke="#888"/>',
             f'<text x="4" y="{PAD_TOP + 10}" class="axis">{tallest}</text>',
             f'<text x="4" y="{PAD_TOP + plot_h}" class="axis">0</text>']
    label_every = max(1, len(ranges) // 10)
    for i, ((low, high), n) in enumerate(zip(ranges, counts)):
        x, h = PAD_LEFT + i * step, plot_h * n / tallest
        span = f"{low}" if low == high else f"{low}–{high}"
        parts.append(f'<rect class="bin" data-low="{low}" data-high="{high}" data-count="{n}" x="{x + 1:.1f}" '
                     f'y="{PAD_TOP + plot_h - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}">'
                     f'<title>{n} student{"" if n == 1 else "s"} with {escape(what)} {span}</title></rect>')
        if i % label_every == 0 or i == len(ranges) - 1:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" class="axis" '
                         f'text-anchor="middle">{span}</text>')
    parts.append(f'<text x="{PAD_LEFT + plot_w / 2:.0f}" y="{HEIGHT - 4}" class="axis" text-anchor="middle">'
                 f'{escape(what)} (points)</text></svg>')
    return "".join(parts)


def mistakes(counts: list[tuple[str, int]], students: int) -> str:
    """An SVG bar chart, commonest first, of (label, number of students) pairs, out of `students`."""
    if not counts:
        return "<p>No known mistake was diagnosed.</p>"
    most = max(n for _, n in counts)
    bar_room = 560 - LABEL_WIDTH - 60
    height = BAR_ROW * len(counts) + 6
    parts = [f'<svg class="mistakes" role="img" width="560" height="{height}" viewBox="0 0 560 {height}" '
             f'><title>The commonest diagnosed mistakes, by number of students'
             f'</title>']
    for i, (label, n) in enumerate(counts):
        y = 3 + i * BAR_ROW
        shown = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"
        width = bar_room * n / most
        parts.append(f'<g><title>{escape(label)}: {n} of {students} students</title>'
                     f'<text x="0" y="{y + 14}" class="label">{escape(shown)}</text>'
                     f'<rect class="bar" data-count="{n}" x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" '
                     f'height="{BAR_ROW - 8}"/>'
                     f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 14}" class="axis">{n}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
