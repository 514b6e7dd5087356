"""Build the students' copy of the course: `python -m graders.nbgrader.handout DEST [--force]`.

DEST gets
- notebooks/<assignment>.ipynb: the released notebooks, built fresh from assignments/source/ by
  graders/nbgrader/release.py (solutions stubbed, hidden tests removed);
- the repository's modules those notebooks import, and what those import in turn (graders.student.checks and the engine,
  tasks and reference behind it), found by running the notebooks' own import statements in a fresh Python and
  reading its sys.modules, so the list follows the code;
- requirements.txt and pyproject.toml for the libraries they import, and README.md saying how to start.

Then it scans DEST for any answer-cell solution (graders/nbgrader/leak_scan.py) and exits non-zero, naming the file and
function, if it finds one. Nothing else of the repository is copied: not tests/, bench/, lab_app/, the course's
source notebooks, nbgrader_config.py, its hidden seed or gradebook.
"""
from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from . import leak_scan
from .release import COURSE, assignment_names, build

ROOT = Path(__file__).resolve().parents[2]
# What students open the notebooks with; the notebooks themselves do not import it.
JUPYTER = "jupyterlab"

# Run in a fresh Python at the repository root: the notebooks' import statements, then every file that Python
# loaded from the repository (modules, and any data file they opened while importing).
IMPORT_PROBE = """
import json, sys
opened = set()

def record(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.add(args[0])

sys.addaudithook(record)
for statement in json.loads(sys.argv[1]):
    exec(statement, {})
modules = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
print(json.dumps({"modules": modules, "opened": sorted(opened)}))
"""


class HandoutError(Exception):
    """A hand-out that cannot be built as asked; the message says why and what to do."""


def local_names(root: Path = ROOT) -> set[str]:
    """The top-level modules of the repository: its packages and its top-level .py files."""
    return {p.name for p in root.iterdir() if (p / "__init__.py").is_file()} | {p.stem for p in root.glob("*.py")}


def imports_of(source: str, where: str) -> list[ast.Import | ast.ImportFrom]:
    """Every absolute import statement in `source`, wherever it sits (a try block, a function)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise HandoutError(f"{where} is not valid Python ({e.msg}, line {e.lineno}), so its imports are unknown") from e
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and not n.level)]


def top_names(statement: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(statement, ast.ImportFrom):
        return {statement.module.split(".")[0]}
    return {alias.name.split(".")[0] for alias in statement.names}


def probe_imports(statements: list[str]) -> tuple[set[Path], set[str]]:
    """(the repository's files that `statements` load, the names in sys.modules after them), in a fresh Python."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the repository comes first, as the cwd
    proc = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps(statements)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise HandoutError(f"the notebooks' imports fail in a fresh Python:\n{proc.stderr[-2000:]}")
    probe = json.loads(proc.stdout.splitlines()[-1])
    ours = local_names()
    files = set()
    for name in [*probe["modules"].values(), *probe["opened"]]:
        path = Path(name).resolve() if name else None
        if path and path.is_file() and path.is_relative_to(ROOT) and "__pycache__" not in path.parts \
                and Path(path.relative_to(ROOT).parts[0]).stem in ours:
            files.add(path)
    return files, set(probe["modules"])


def requirements(names: set[str]) -> list[str]:
    """Requirement lines for the installed distributions that provide the top-level modules `names`, pinned as the
    repository's requirements.txt pins them (else at least the version installed here), plus Jupyter."""
    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        try:
            requirement = Requirement(line.split("#")[0].strip())
        except InvalidRequirement:
            continue  # blank lines, comments, pip options
        pinned[canonicalize_name(requirement.name)] = str(requirement)
    providers = importlib.metadata.packages_distributions()
    missing = sorted(name for name in names if name not in providers)
    if missing:
        raise HandoutError(f"no installed distribution provides {', '.join(missing)}: install the lab's requirements")
    dists = {canonicalize_name(d) for name in names for d in providers[name]} | {JUPYTER}
    return sorted(pinned.get(d) or f"{d}>={importlib.metadata.version(d)}" for d in dists)


def _pyproject(files: list[Path], needs: list[str]) -> str:
    """pyproject.toml for `files` (paths inside the copy): their packages, any data files in them, and `needs`."""
    packages = sorted({".".join(p.parent.parts) for p in files if p.name == "__init__.py"})
    data: dict[str, list[str]] = {}
    for p in files:
        if p.suffix != ".py":
            data.setdefault(".".join(p.parent.parts), []).append(p.name)
    lines = [f"{json.dumps(package)} = {json.dumps(sorted(names))}" for package, names in sorted(data.items())]
    return "\n".join([
        "# `pip install .` puts the checks on the Python path, for notebooks opened outside this folder.",
        "[build-system]", 'requires = ["setuptools>=61"]', 'build-backend = "setuptools.build_meta"', "",
        "[project]", 'name = "ddpm-lab-student"', 'version = "1.0"',
        'description = "The DDPM Lab\'s assignment notebooks and the checks of their visible test cells"',
        'requires-python = ">=3.11"', f"dependencies = {json.dumps(needs)}", "",
        "[tool.setuptools]", f"packages = {json.dumps(packages)}", "",
        *(["[tool.setuptools.package-data]", *lines, ""] if lines else [])])


def _readme(notebooks: list[str]) -> str:
    return f"""# DDPM Lab: assignments

The notebooks ({", ".join(f"`{n}`" for n in notebooks)}) and the checks their visible test cells run
(`graders/`, which compares your functions against `reference/`). Your grade comes from the course's autograder,
which runs more cases than these cells.

## Install (Python 3.11 or newer)

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt
```

## Open the notebooks

```bash
.venv/bin/jupyter lab notebooks/
```

A notebook finds the checks when it is opened in this folder or below it. To work on a notebook somewhere else
(one fetched with nbgrader, say), install this folder once into the Python you use: `.venv/bin/pip install .`
"""


def prepare(dest: Path, force: bool) -> None:
    """Make `dest` an empty folder, emptying it only with `force`; never the repository or a folder holding it."""
    if dest.exists() and not dest.is_dir():
        raise HandoutError(f"{dest} is a file, not a folder")
    if ROOT.is_relative_to(dest.resolve()):
        raise HandoutError(f"{dest} holds this repository; choose a folder outside it")
    if dest.is_dir() and any(dest.iterdir()):
        if not force:
            raise HandoutError(f"{dest} is not empty; choose an empty folder, or pass --force to replace what it holds")
        for entry in dest.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    dest.mkdir(parents=True, exist_ok=True)


def build_handout(dest: Path, force: bool = False, say=print) -> list[leak_scan.Leak]:
    """Write the students' copy into `dest` (see the module docstring) and return what the leak scan finds in it."""
    prepare(dest, force)
    released = build(dest / "notebooks")
    say(f"released {len(released)} notebooks: {', '.join(str(p.relative_to(dest)) for p in released)}")

    ours = local_names()
    local, outside = [], set()  # the notebooks' imports of the repository's modules, and the others' top names
    for path in released:
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                for s in imports_of(cell.source, f"{path.name}, cell {i}"):
                    if top_names(s) & ours:
                        local.append(s)
                    else:
                        outside |= top_names(s)
    files, loaded = probe_imports([ast.unparse(s) for s in local])
    for path in sorted(files):
        target = dest / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        if path.suffix == ".py":  # a library a copied module imports, and that importing it loaded
            outside |= {n for s in imports_of(path.read_text(), str(path)) for n in top_names(s) if n in loaded}
    entry = sorted({s.module if isinstance(s, ast.ImportFrom) else a.name for s in local for a in s.names})
    copied = sorted({path.relative_to(ROOT).parts[0] for path in files})
    say(f"copied {len(files)} files of {', '.join(copied)}: what {', '.join(entry)} load")

    needs = requirements(outside - ours - set(sys.stdlib_module_names))
    (dest / "requirements.txt").write_text("\n".join(needs) + "\n")
    (dest / "pyproject.toml").write_text(_pyproject([p.relative_to(ROOT) for p in files], needs))
    (dest / "README.md").write_text(_readme([str(p.relative_to(dest)) for p in released]))
    say(f"wrote requirements.txt ({len(needs)} packages), pyproject.toml and README.md")

    known = leak_scan.course_solutions()
    count, leaks = leak_scan.scan(dest, known)
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    say(f"scanned {count} files ({size / 1024:.0f} KiB) for the {len(known)} solutions of "
        f"{', '.join(assignment_names(COURSE))} and any graded function with a body: "
        + (f"{len(leaks)} findings" if leaks else "no leak"))
    return leaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.nbgrader.handout", description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the folder to write the students' copy into (new or empty)")
    parser.add_argument("--force", action="store_true", help="empty DEST first if it holds anything")
    args = parser.parse_args(argv)
    try:
        leaks = build_handout(args.dest, args.force)
    except (HandoutError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if leaks:
        print("\n".join(map(str, leaks)), file=sys.stderr)
        print(f"error: {args.dest} holds solutions (above): do not hand it out", file=sys.stderr)
        return 1
    print(f"wrote {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
