"""The project's imports, folder by folder: which module imports which, read from the source with `ast`.

A unit is a package's first-level folder (`graders/engine`) or a module at a package's top (`reference/data.py`).
tests/test_layers.py reads the graph; `python tests/support/imports.py docs/img/imports.svg` draws it.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reference", "graders", "lab_app")


@dataclass(frozen=True)
class Import:
    source: str  # the importing file, relative to the root
    module: str  # the dotted module imported
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> list[Import]:
    """Every module `path` imports, relative imports resolved, at any depth of the file (not only its top)."""
    tree = ast.parse(path.read_text(), str(path))
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(str(path.relative_to(root)), a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            if node.module:  # `from pkg import submodule` names a module too
                targets += [f"{module}.{a.name}" for a in node.names]
            found += [Import(str(path.relative_to(root)), m, node.lineno) for m in targets]
    return found


def project_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for pkg in PACKAGES if (root / pkg).is_dir() for p in (root / pkg).rglob("*.py"))


def unit(dotted: str, root: Path = ROOT) -> str | None:
    """The folder or top-level file a module belongs to: `graders.engine.cases` -> `graders/engine`,
    `reference.data` -> `reference/data.py`, the package `reference` itself -> `reference/__init__.py`."""
    parts = dotted.split(".")
    if parts[0] not in PACKAGES:
        return None
    if len(parts) == 1:
        return f"{parts[0]}/__init__.py"
    if (root / parts[0] / parts[1]).is_dir():
        return f"{parts[0]}/{parts[1]}"
    return f"{parts[0]}/{parts[1]}.py"


def known_modules(root: Path = ROOT) -> set[str]:
    return {module_name(p, root) for p in project_files(root)}


def unit_edges(root: Path = ROOT) -> dict[tuple[str, str], list[Import]]:
    """(importer's unit, imported unit) -> the imports behind the arrow, for project modules only."""
    modules = known_modules(root)
    edges: dict[tuple[str, str], list[Import]] = {}
    for path in project_files(root):
        src = unit(module_name(path, root), root)
        for imp in imports_of(path, root):
            if imp.module not in modules:
                continue
            dst = unit(imp.module, root)
            if dst and dst != src:
                edges.setdefault((src, dst), []).append(imp)
    return edges


def cycles(edges) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v), on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def levels(edges) -> dict[str, int]:
    """Each unit's height: 0 for a unit importing no other, else one more than the highest unit it imports."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    height: dict[str, int] = {}

    def of(v, seen=()):
        if v not in height:
            height[v] = 1 + max((of(w, seen + (v,)) for w in graph[v] if w not in seen), default=-1)
        return height[v]

    for v in graph:
        of(v)
    return height


def svg(edges) -> str:
    """The unit graph as SVG: one band per package, each unit at the height levels() gives it (the ground at the
    bottom), arrows from the importer down to the imported."""
    height = levels(edges)
    box_w, box_h, gap, row_h, pad = 190, 28, 12, 70, 20
    rows = max(height.values()) + 1
    place, x0 = {}, pad
    for pkg in PACKAGES:
        members = sorted(u for u in height if u.split("/")[0] == pkg)
        per_row: dict[int, list[str]] = {}
        for u in members:
            per_row.setdefault(height[u], []).append(u)
        for level, row in per_row.items():
            for k, u in enumerate(row):
                place[u] = (x0 + k * (box_w + gap), pad + (rows - 1 - level) * row_h)
        x0 += max(len(r) for r in per_row.values()) * (box_w + gap) + 3 * gap
    w, h = x0 + pad, pad * 2 + (rows - 1) * row_h + box_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif" font-size="12">',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8a8a8a"/></marker></defs>',
           f'<rect width="{w}" height="{h}" fill="white"/>']
    for a, b in sorted(edges):
        (xa, ya), (xb, yb) = place[a], place[b]
        out.append(f'<line x1="{xa + box_w / 2}" y1="{ya + box_h}" x2="{xb + box_w / 2}" y2="{yb}" '
                   'stroke="#8a8a8a" stroke-opacity="0.6" marker-end="url(#a)"/>')
    for u, (x, y) in sorted(place.items()):
        label = u if u.endswith(".py") else u + "/"
        out.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="5" fill="#eef3fb" stroke="#4a6fa5"/>')
        out.append(f'<text x="{x + box_w / 2}" y="{y + 18}" text-anchor="middle">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    e = unit_edges()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(svg(e))
    for (a, b), imps in sorted(e.items()):
        print(f"{a} -> {b} ({len(imps)})")
    print("cycles:", cycles(e))
