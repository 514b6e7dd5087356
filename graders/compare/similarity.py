"""Near-identical submissions, for integrity review: normalised-AST fingerprints, compared pairwise, clustered.

1. `fingerprint(cells)`: parse each solution cell (nbgrader grade_id -> source) and walk its AST in order,
   emitting node types, attribute names and numbers, with docstrings dropped, strings reduced to STR, and every
   variable, argument and function name replaced by its order of first appearance in that cell (v0, v1, …).
   So comments, docstrings, renamed variables, `import torch as th` and reformatting change nothing; `.sqrt()`
   versus `** 0.5`, or a loop versus a vectorised expression, do. The fingerprint is the set of
   (grade_id, token NGRAM-gram) pairs.
2. Correct solutions to short tasks are naturally alike. As MOSS does with code shared by many students, an
   n-gram found in more than COMMON_FRACTION of the submissions (and at least COMMON_MIN of them) says nothing
   about copying and is dropped before comparing; so is a submission left with fewer than MIN_NGRAMS n-grams.
3. Two submissions are near-identical when the Jaccard similarity |A ∩ B| / |A ∪ B| of what is left is at
   least THRESHOLD (0.8) and what they share spans at least MIN_SHARED_CELLS (2) solution cells. A renamed,
   re-commented copy scores 1.0 on every cell; students who each wrote the common style share only common
   n-grams, which step 2 removed; and one function alike, which a short formula often forces, is not enough.
4. Clusters are the connected groups of near-identical pairs, largest first.

A cluster is a reason to look, not a finding: the report shows each pair's score.
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

NGRAM = 5
THRESHOLD = 0.8
COMMON_FRACTION = 0.1
COMMON_MIN = 4
MIN_NGRAMS = 20
MIN_SHARED_CELLS = 2


def _drop_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    return body[1:] if is_doc else body


class _Tokens(ast.NodeVisitor):
    """Depth-first tokens of a tree with identifiers renamed by first appearance."""

    def __init__(self):
        self.tokens: list[str] = []
        self.names: dict[str, str] = {}

    def name(self, identifier: str) -> str:
        return self.names.setdefault(identifier, f"v{len(self.names)}")

    def generic_visit(self, node: ast.AST) -> None:
        self.tokens.append(type(node).__name__)
        for field, value in ast.iter_fields(node):
            if field == "body" and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                value = _drop_docstring(value)
            if isinstance(value, list):
                for item in value:
                    self.visit_value(item)
            else:
                self.visit_value(value)

    def visit_value(self, value) -> None:
        if isinstance(value, ast.AST):
            self.visit(value)

    def visit_Name(self, node: ast.Name) -> None:
        self.tokens.append(self.name(node.id))

    def visit_arg(self, node: ast.arg) -> None:
        self.tokens.append(self.name(node.arg))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.tokens.append(self.name(node.name))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)
        self.tokens.append("." + node.attr)

    def visit_alias(self, node: ast.alias) -> None:
        self.tokens.append(node.name)
        self.name(node.asname or node.name.split(".")[0])  # `import torch as th`: th and torch read alike

    def visit_Constant(self, node: ast.Constant) -> None:
        self.tokens.append("STR" if isinstance(node.value, (str, bytes)) else repr(node.value))


def tokens(source: str) -> list[str]:
    """The normalised token stream of one code cell (none if it does not parse)."""
    visitor = _Tokens()
    try:
        visitor.visit(ast.parse(source))
    except SyntaxError:
        pass
    return visitor.tokens


def fingerprint(cells: dict[str, str]) -> set[tuple[str, tuple[str, ...]]]:
    """(cell key, n-gram) for every token n-gram of every cell."""
    out = set()
    for key, source in cells.items():
        t = tokens(source)
        out |= {(key, tuple(t[i:i + NGRAM])) for i in range(len(t) - NGRAM + 1)}
    return out


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity: float


@dataclass(frozen=True)
class Review:
    """The pairs at or above the threshold, their clusters, and who was too short or too common to compare."""

    pairs: list[Pair]
    clusters: list[list[str]]
    not_compared: list[str]
    threshold: float


def review(sources: dict[str, dict[str, str]], threshold: float = THRESHOLD) -> Review:
    """Near-identical submissions among `sources` (student -> grade_id -> cell source); see the module docstring."""
    prints = {s: fingerprint(cells) for s, cells in sources.items()}
    counts = Counter(g for fp in prints.values() for g in fp)
    common_at = max(COMMON_MIN, COMMON_FRACTION * len(prints))
    distinctive = {s: {g for g in fp if counts[g] < common_at} for s, fp in prints.items()}
    compared = sorted(s for s, fp in distinctive.items() if len(fp) >= MIN_NGRAMS)
    pairs = []
    for a, b in combinations(compared, 2):
        shared = distinctive[a] & distinctive[b]
        score = len(shared) / len(distinctive[a] | distinctive[b])
        if score >= threshold and len({cell for cell, _ in shared}) >= MIN_SHARED_CELLS:
            pairs.append(Pair(a, b, score))
    return Review(sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b)), _clusters(pairs),
                  sorted(set(sources) - set(compared)), threshold)


def _clusters(pairs: list[Pair]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p.a)] = root(p.b)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g))
