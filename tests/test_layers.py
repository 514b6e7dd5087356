"""Do the imports keep the house's layers: reference/ the ground, graders/ and lab_app/ standing on it, each folder
importing only the folders below it, no circles, no streamlit outside the lab's pages, views and ui, st.cache_* only in
lab_app/views/, and no command-line module imported by the lab?

The graph is read from the source (tests/support/imports.py), folder by folder; docs/architecture.md draws it."""
import ast
from pathlib import Path

import pytest

import imports

# Each unit and the units it may import, besides reference/ (the ground, which every graders/ and lab_app/ unit may
# import). A new folder or top-level module fails the test until it is placed here, deliberately.
ALLOWED = {
    "reference/device.py": set(),
    "reference/data.py": set(),
    "reference/nets": {"reference/device.py"},
    "reference/diffusion": {"reference/nets", "reference/device.py"},
    "reference/checkpoints.py": {"reference/device.py", "reference/diffusion", "reference/nets"},
    "reference/evaluate.py": {"reference/checkpoints.py", "reference/data.py", "reference/diffusion",
                              "reference/device.py", "reference/nets"},
    "reference/families": {"reference/checkpoints.py", "reference/data.py", "reference/device.py",
                           "reference/diffusion", "reference/evaluate.py", "reference/nets"},
    "reference/training": {"reference/checkpoints.py", "reference/data.py", "reference/device.py",
                           "reference/diffusion", "reference/evaluate.py", "reference/families", "reference/nets"},
    "reference/__init__.py": {"reference/checkpoints.py", "reference/data.py", "reference/device.py",
                              "reference/diffusion", "reference/nets"},
    "graders/__init__.py": set(),
    "graders/engine": set(),
    "graders/sandbox": {"graders/engine"},
    "graders/nbgrader": {"graders/engine", "graders/sandbox"},
    "graders/batch": {"graders/engine", "graders/sandbox", "graders/nbgrader"},
    "graders/compare": {"graders/engine", "graders/sandbox", "graders/nbgrader", "graders/batch"},
    "graders/student": {"graders/engine", "graders/sandbox"},
    "lab_app/__init__.py": set(),
    "lab_app/figures": set(),
    "lab_app/server": set(),
    "lab_app/views": {"lab_app/server", "lab_app/__init__.py"},
    "lab_app/ui": {"lab_app/views", "lab_app/server", "lab_app/__init__.py"},
    "lab_app/pages": {"lab_app/views", "lab_app/figures", "lab_app/ui", "lab_app/server", "lab_app/__init__.py"},
    "lab_app/command.py": {"graders/batch", "graders/compare"},  # the installed `ddpm-lab` command: serve, grade, compare
}

NO_STREAMLIT = ("reference", "graders", "lab_app/figures", "lab_app/server")


def broken_arrows(edges) -> list[str]:
    """Every arrow ALLOWED does not draw, with the import lines behind it."""
    out = []
    for (src, dst), found in sorted(edges.items()):
        ground = dst.startswith("reference/") and not src.startswith("reference/")
        if src not in ALLOWED:
            out.append(f"{src} is not placed in ALLOWED")
        elif not ground and dst not in ALLOWED[src]:
            out.append(f"{src} -> {dst}: " + ", ".join(f"{i.source}:{i.line} imports {i.module}" for i in found))
    return out


def test_every_arrow_points_down_and_there_are_no_circles():
    edges = imports.unit_edges()
    assert not broken_arrows(edges)
    assert not imports.cycles(edges)


def test_the_checker_sees_a_back_arrow_and_a_circle(tmp_path):
    """Is a planted back-arrow (the engine importing the sandbox, which imports the engine) reported?"""
    for folder in ("graders/engine", "graders/sandbox"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "graders" / "__init__.py").write_text("")
    (tmp_path / "graders/engine/judging.py").write_text("from ..sandbox import runner\n")
    (tmp_path / "graders/sandbox/runner.py").write_text("from graders.engine import judging\n")
    edges = imports.unit_edges(tmp_path)
    (arrow,) = broken_arrows(edges)
    assert arrow.startswith("graders/engine -> graders/sandbox:") and "judging.py:1 imports graders.sandbox" in arrow
    assert imports.cycles(edges) == [["graders/engine", "graders/sandbox"]]


def _sources(prefix: str):
    return [p for p in imports.project_files() if str(p.relative_to(imports.ROOT)).startswith(prefix)]


@pytest.mark.parametrize("prefix", NO_STREAMLIT)
def test_no_streamlit_below_the_lab_pages(prefix):
    found = [f"{i.source}:{i.line}" for p in _sources(prefix) for i in imports.imports_of(p)
             if i.module.split(".")[0] == "streamlit"]
    assert not found


def test_st_cache_only_in_views():
    found = []
    for path in _sources(""):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("cache_data", "cache_resource"):
                found.append(f"{path.relative_to(imports.ROOT)}:{node.lineno}")
    assert found and all(f.startswith("lab_app/views/") for f in found), found


def test_the_lab_imports_no_command_line_module():
    """A module run as a command (`if __name__ == "__main__"`) is an end, not a library: the lab's pages, views and
    server never import one (the `ddpm-lab` command itself dispatches to graders' commands)."""
    commands = {imports.module_name(p) for p in imports.project_files()
                if '__name__ == "__main__"' in p.read_text()}
    found = [f"{i.source}:{i.line} imports {i.module}" for p in _sources("lab_app") for i in imports.imports_of(p)
             if i.module in commands and Path(i.source) != Path("lab_app/command.py")
             and imports.module_name(p) != i.module]
    assert commands and not found


def test_the_drawing_in_the_docs_is_current():
    """Does docs/img/imports.svg draw today's imports? Redraw with `python tests/support/imports.py
    docs/img/imports.svg`."""
    assert (imports.ROOT / "docs/img/imports.svg").read_text() == imports.svg(imports.unit_edges())
