"""Does a folder hold an answer? `python -m graders.nbgrader.leak_scan DIR` scans every file in it for any solution.

Two things count as a solution, found by their code, not by nbgrader's markers (which a copy need not keep):

- the instructor's answer to any answer cell (its statements between `### BEGIN SOLUTION` and `### END SOLUTION`)
  found as a run of statements anywhere, after normalising both sides: identifiers renamed in order of first use,
  docstrings, annotations, comments and layout dropped. A renamed or reformatted copy is caught.
- a definition of a graded function with the student's exact parameters (graders/engine/tasks/) whose body is more than
  the stub (`raise NotImplementedError()`, `pass`, `...`): a student's answer, or any independent rewrite.

Where code is looked for: every file that parses as Python, the string literals in it (recursively), every string in
a JSON file (so a notebook's cells and outputs), Markdown code fences, and every `def` block in any other text,
commented out, quoted or HTML-escaped too. A binary file is read as Latin-1 text for `def` blocks; compiled Python
and archives cannot be read back to source, so they are reported as findings too.
"""
from __future__ import annotations

import argparse
import ast
import copy
import html
import json
import os
import re
import sys
from dataclasses import dataclass
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Iterable, Iterator

import nbformat

MIN_SOLUTION_NODES = 12  # shorter answers (one short line) are not told apart from ordinary code
MAX_DEPTH = 4  # code inside a string inside a string …: deeper nesting is not unpacked
UNREADABLE = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip archive"}
# Ways a copy may wrap code in text; each is undone before looking for `def` blocks.
UNWRAP = [(re.compile(r"^([ \t]*)#+ ?", re.M), r"\1"), (re.compile(r"^[ \t]*(?:>>>|\.\.\.) ?", re.M), ""),
          (re.compile(r"^[ \t]*> ?", re.M), ""), (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), "")]
DEF_LINE = re.compile(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(", re.M)
FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1", re.M | re.S)


@dataclass(frozen=True)
class Solution:
    """One answer cell's solution: its normalised statements, keyed for a quick first look."""

    task: str  # "<assignment>/<grade_id>"
    statements: str  # the normalised dump of the whole run
    first: str  # the normalised dump of its first statement alone
    kind: str  # the first statement's type: Assign, Return, …
    length: int  # how many statements


@dataclass(frozen=True)
class Leak:
    """One finding: an answer, or a file the scan cannot read, and where it is."""

    path: str  # relative to the scanned folder
    where: str  # where in the file: "line 9", "a string literal at line 9, line 3", "cells[7].source, line 1"
    what: str

    def __str__(self) -> str:
        return f"{self.path}, {self.where}: {self.what}"


# --- normalising code -------------------------------------------------------------------------------------------


class _Canonical(ast.NodeTransformer):
    """Renames every identifier to v0, v1, … in order of first use and drops docstrings and annotations; attribute
    and keyword names (`.sqrt`, `dtype=`) stay, being the library's names, not the writer's."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def rename(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.rename(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg, node.annotation = self.rename(node.arg), None
        return node

    def visit_FunctionDef(self, node):
        node.name, node.returns, node.body = self.rename(node.name), None, without_docstring(node.body) or [ast.Pass()]
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign):
        if node.value is None:
            return None
        return self.visit(ast.Assign(targets=[node.target], value=node.value))

    def visit_alias(self, node: ast.alias) -> ast.alias:
        if node.asname:
            node.asname = self.rename(node.asname)
        return node


def without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def normalised(statements: list[ast.stmt]) -> str:
    """The statements' AST with identifiers renamed canonically, docstrings and annotations dropped, as text."""
    module = _Canonical().visit(ast.Module(body=copy.deepcopy(statements), type_ignores=[]))
    return ast.dump(module, annotate_fields=False, include_attributes=False)


# --- what to look for -------------------------------------------------------------------------------------------


def _solution_run(tree: ast.Module, begin: int, end: int) -> list[ast.stmt]:
    """The statements strictly between source lines `begin` and `end`, from the outermost block holding any."""
    for node in ast.walk(tree):
        for block in _blocks_of(node):
            run = [s for s in block if begin < s.lineno and s.end_lineno < end]
            if run:
                return run
    return []


def solutions(notebooks: Iterable[Path]) -> list[Solution]:
    """The solution of every answer cell of the instructor's notebooks (<assignment>/<assignment>.ipynb)."""
    out = []
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("solution"):
                continue
            task = f"{path.stem}/{meta.get('grade_id', '?')}"
            lines = [line.strip() for line in cell.source.splitlines()]
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as e:
                raise ValueError(f"{path}: the solution cell {task} is not valid Python: {e}") from e
            begin = lines.index("### BEGIN SOLUTION") + 1 if "### BEGIN SOLUTION" in lines else 0
            end = lines.index("### END SOLUTION") + 1 if "### END SOLUTION" in lines else len(lines) + 1
            run = _solution_run(tree, begin, end)
            if sum(1 for s in run for _ in ast.walk(s)) < MIN_SOLUTION_NODES:
                continue
            out.append(Solution(task, normalised(run), normalised(run[:1]), type(run[0]).__name__, len(run)))
    return out


def graded_signatures() -> dict[str, tuple[str, tuple[str, ...]]]:
    """function name -> (<assignment>/<task>, its parameters) for every graded task (graders/engine/tasks/)."""
    from ..engine.tasks import ASSIGNMENTS

    return {spec.name: (f"{assignment}/{name}", tuple(spec.arg_names))
            for assignment, tasks in ASSIGNMENTS.items() for name, spec in tasks.items()}


# --- looking ----------------------------------------------------------------------------------------------------


def _blocks_of(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for _, value in ast.iter_fields(node):
        if isinstance(value, list) and value and all(isinstance(v, ast.stmt) for v in value):
            yield value


def _is_stub(body: list[ast.stmt]) -> bool:
    """Only `raise NotImplementedError()`, `pass` or `...` under the docstring: what the release hands out."""
    def stub(s: ast.stmt) -> bool:
        if isinstance(s, ast.Raise):
            exc = s.exc.func if isinstance(s.exc, ast.Call) else s.exc
            return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
        return isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                           and s.value.value is Ellipsis)

    return all(stub(s) for s in without_docstring(body))


def _parse(text: str) -> ast.Module | None:
    # Notebook magics (`%time`, `!pip`) are not Python; blanking them keeps the line numbers.
    text = re.sub(r"^[ \t]*[%!].*$", "", text, flags=re.M)
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _def_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line offset, dedented source) of every `def` and the lines indented under it."""
    lines = text.splitlines()
    for match in DEF_LINE.finditer(text):
        indent = len(match.group(1).expandtabs())
        first = text.count("\n", 0, match.start())
        last = first + 1
        while last < len(lines):
            line = lines[last]
            if line.strip() and len(line.expandtabs()) - len(line.expandtabs().lstrip()) <= indent \
                    and not line.lstrip().startswith((")", "]", "}")):
                break
            last += 1
        yield first, "\n".join(line.expandtabs()[indent:] for line in lines[first:last])


class _Scan:
    """One file's scan: the places code can hide, unpacked one into another, and the leaks found in them."""

    def __init__(self, path: str, known: list[Solution], graded: dict[str, tuple[str, tuple[str, ...]]]):
        self.path, self.known, self.graded = path, known, graded
        self.kinds = {s.kind for s in known}
        self.found: set[Leak] = set()

    def leak(self, where: str, line: int, what: str) -> None:
        self.found.add(Leak(self.path, f"{where}line {line}" if where else f"line {line}", what))

    def text(self, text: str, where: str = "", offset: int = 0, depth: int = 0) -> None:
        if depth > MAX_DEPTH or not text.strip():
            return
        if (tree := _parse(text)) is not None:
            self.module(tree, where, offset, depth)
        else:
            for match in FENCE.finditer(text):
                self.text(match.group(2), where, offset + text.count("\n", 0, match.start(2)), depth + 1)
            self.defs(text, where, offset, depth)
        for pattern, repl in UNWRAP:
            unwrapped = pattern.sub(repl, text)
            if len(DEF_LINE.findall(unwrapped)) > len(DEF_LINE.findall(text)):
                self.defs(unwrapped, where, offset, depth)
        if (unescaped := html.unescape(text)) != text:
            self.text(unescaped, where, offset, depth + 1)

    def defs(self, text: str, where: str, offset: int, depth: int) -> None:
        for first, source in _def_blocks(text):
            if (tree := _parse(source)) is not None:
                self.module(tree, where, offset + first, depth + 1)

    def module(self, tree: ast.Module, where: str, offset: int, depth: int) -> None:
        self.blocks(tree, None, where, offset)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in self.graded:
                task, params = self.graded[node.name]
                if tuple(a.arg for a in node.args.posonlyargs + node.args.args) == params and not _is_stub(node.body):
                    self.leak(where, offset + node.lineno, f"def {node.name}({', '.join(params)}) is an answer to "
                                                           f"{task}: the graded function, with a body")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 10:
                self.text(node.value, f"{where}a string literal at line {offset + node.lineno}, ", 0, depth + 1)

    def blocks(self, node: ast.AST, owner: ast.AST | None, where: str, offset: int) -> None:
        for block in _blocks_of(node):
            for i, statement in enumerate(block):
                if type(statement).__name__ not in self.kinds:
                    continue
                first = normalised([statement])
                for s in self.known:
                    if s.first == first and normalised(block[i:i + s.length]) == s.statements:
                        place = f"def {owner.name}" if owner is not None else "code at top level"
                        self.leak(where, offset + statement.lineno,
                                  f"{place} holds the instructor's solution of {s.task} (the same code once "
                                  f"identifiers are renamed)")
        for child in ast.iter_child_nodes(node):
            self.blocks(child, child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else owner,
                        where, offset)

    def json(self, value, where: str) -> None:
        if isinstance(value, str):
            self.text(value, f"{where}, " if where else "")
        elif isinstance(value, dict):
            for key, item in value.items():
                self.json(item, f"{where}.{key}" if where else str(key))
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):  # nbformat keeps a cell's source as its lines
                self.text("".join(value), f"{where}, ")
            for i, item in enumerate(value):
                if not isinstance(item, str) or "\n" in item.rstrip("\n"):
                    self.json(item, f"{where}[{i}]")


def scan_file(path: Path, name: str, known: list[Solution], graded) -> list[Leak]:
    """The leaks in one file; `name` is how findings name it."""
    scan = _Scan(name, known, graded)
    data = path.read_bytes()
    if data.startswith(tuple(UNREADABLE)) or path.suffix == ".pyc" or data.startswith(MAGIC_NUMBER):
        kind = next((k for magic, k in UNREADABLE.items() if data.startswith(magic)), "compiled Python")
        return [Leak(name, "the whole file", f"{kind}, which the scan cannot read back to source: leave it out")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        scan.defs(data.decode("latin-1"), "", 0, 0)  # binary: only plain-text source embedded in it can be seen
        return sorted(scan.found, key=str)
    try:
        scan.json(json.loads(text), "")
    except ValueError:
        scan.text(text)
    return sorted(scan.found, key=str)


def scan(folder: Path, known: list[Solution], graded=None) -> tuple[int, list[Leak]]:
    """(files scanned, leaks) of every file under `folder`; a linked folder is a finding, since it is not read."""
    graded = graded_signatures() if graded is None else graded
    count, leaks = 0, []
    for parent, dirs, files in os.walk(folder):
        for d in dirs:
            if os.path.islink(os.path.join(parent, d)):
                rel = os.path.relpath(os.path.join(parent, d), folder)
                leaks.append(Leak(rel, "the whole folder", "a link to a folder, not scanned: copy plain files"))
        for f in sorted(files):
            path = Path(parent, f)
            count += 1
            leaks += scan_file(path, str(path.relative_to(folder)), known, graded)
    return count, sorted(leaks, key=str)


def course_solutions() -> list[Solution]:
    """The solutions of every assignment of this repository's course (assignments/source/)."""
    from .release import COURSE, assignment_names

    return solutions(COURSE / "source" / name / f"{name}.ipynb" for name in assignment_names())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.nbgrader.leak_scan", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder to scan, e.g. a student copy")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    try:
        known = course_solutions()
    except (FileNotFoundError, ValueError) as e:
        parser.error(str(e))
    count, leaks = scan(args.folder, known)
    for leak in leaks:
        print(leak, file=sys.stderr)
    print(f"scanned {count} files for {len(known)} solutions and {len(graded_signatures())} graded functions: "
          + (f"{len(leaks)} findings" if leaks else "no leak"))
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
