"""Does the lab hand students only the released notebooks, and are those what nbgrader builds from the source now?

The Home page offers lab_app/release/*.ipynb, written by `python -m graders.nbgrader.build_release` with the real `nbgrader
generate_assignment`. These tests rebuild the release and compare it with the committed files (the test that
fails while a release is stale); read back every byte the page's download buttons serve, and every file under
lab_app/, looking for the instructor's solution and hidden-test lines; and run the page from a copy of the lab
that leaves assignments/source/ out, as a deployment for students does.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from itertools import zip_longest
from pathlib import Path

import nbformat
import pytest
import torch
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from graders.nbgrader.release import assignment_names, build
from graders.nbgrader.build_release import RELEASE

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "assignments"
SOURCE = COURSE / "source"
APP = str(ROOT / "streamlit_app.py")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
BLOCKS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}
needs_source = pytest.mark.skipif(not SOURCE.is_dir(), reason="assignments/source/ (the instructor's files) is absent")


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """The app sets torch's thread count for the whole process; give the other test files theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


# --- the detector -----------------------------------------------------------------------------------------------


def code_of(line: str) -> str:
    """A stripped line without its trailing comment: `ab = f(t)  # (B,)` -> `ab = f(t)`."""
    return line.split("  #")[0].strip()


def split(cell: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """(the lines students must not see, the lines they see) of one cell. A solution cell without markers is hidden
    as a whole, as nbgrader replaces it whole."""
    lines = cell.source.splitlines()
    if cell.metadata.get("nbgrader", {}).get("solution") and not any(ln.strip() in BLOCKS for ln in lines):
        return lines, []
    secret, shown, end = [], [], None
    for line in lines:
        if end is None and line.strip() in BLOCKS:
            end = BLOCKS[line.strip()]
        elif end is not None and line.strip() == end:
            end = None
        else:
            (shown if end is None else secret).append(line)
    return secret, shown


def shown_lines(nb: nbformat.NotebookNode) -> str:
    """Every line the notebook shows outside its solution and hidden-test blocks."""
    return "\n".join(line for cell in nb.cells for line in split(cell)[1])


def secret_lines(nb: nbformat.NotebookNode, shown: str = "") -> dict[str, set[str]]:
    """grade_id -> the instructor's lines that must never reach a student, from each solution or hidden-test block.

    Skipped as trivial: blank lines, comments, `def` lines, docstring lines, lines under 8 characters, and any line
    the notebook (or `shown`, another assignment's shown lines) also shows outside those blocks (the schedule cell's
    `alphas = 1 - betas`, the markdown's `x_t = x_T`), since that text is in a release by design.
    """
    shown = shown_lines(nb) + "\n" + shown
    out = {}
    for i, cell in enumerate(nb.cells):
        secret, _ = split(cell)
        if not secret:
            continue
        keep, in_docstring = set(), False
        for line in secret:
            code = code_of(line)
            quotes = code.count('"""') + code.count("'''")
            if in_docstring or quotes:
                in_docstring ^= quotes % 2 == 1
                continue
            if len(code) >= 8 and not code.startswith(("#", "def ", "async def ")) and code not in shown:
                keep.add(code)
        out[cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}")] = keep
    return out


def readable(data: bytes) -> str:
    """Everything a reader of `data` sees: its text and, for a notebook, its cells' sources and outputs unescaped from
    JSON (so that `\\"` or `\\u03b5` cannot hide a line)."""
    text = data.decode("utf-8", errors="replace")
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    if isinstance(nb, dict) and isinstance(nb.get("cells"), list):
        text += "\n" + json.dumps(nb, ensure_ascii=False, indent=1)
        for cell in nb["cells"]:
            source = cell.get("source", "")
            text += "\n" + ("".join(source) if isinstance(source, list) else source)
            for output in cell.get("outputs", []):
                text += "\n" + json.dumps(output, ensure_ascii=False)
    return text


def leaks(data: bytes, secrets: dict[str, set[str]], markers: bool = True) -> list[str]:
    """The nbgrader markers and the instructor's secret lines found in `data`, each named."""
    text = readable(data)
    found = [f"marker {m!r}" for m in MARKERS if markers and m in text]
    return found + [f"{grade_id}: {line!r}" for grade_id, lines in sorted(secrets.items())
                    for line in sorted(lines) if line in text]


def all_secrets() -> dict[str, set[str]]:
    """Every assignment's secret lines, keyed `<assignment>/<grade_id>`."""
    notebooks = {name: nbformat.read(SOURCE / name / f"{name}.ipynb", 4) for name in assignment_names()}
    shown = "\n".join(shown_lines(nb) for nb in notebooks.values())
    return {f"{name}/{grade_id}": lines for name, nb in notebooks.items()
            for grade_id, lines in secret_lines(nb, shown).items()}


@needs_source
@pytest.mark.parametrize("name", assignment_names() if SOURCE.is_dir() else [])
def test_the_detector_flags_the_instructors_notebook(name):
    """Does the detector find the markers and lines of every solution and hidden-test cell in the source notebook?"""
    path = SOURCE / name / f"{name}.ipynb"
    nb = nbformat.read(path, 4)
    secrets = secret_lines(nb)
    ids = {meta["grade_id"] for c in nb.cells if (meta := c.metadata.get("nbgrader", {})).get("solution")
           or "### BEGIN HIDDEN TESTS" in c.source}
    assert ids and set(secrets) == ids
    assert all(secrets.values()), {g: lines for g, lines in secrets.items() if not lines}  # every block is guarded
    found = leaks(path.read_bytes(), secrets)
    assert {f"marker {m!r}" for m in MARKERS} <= set(found)
    assert len(found) == len(MARKERS) + sum(len(lines) for lines in secrets.values())
    if name == "ddpm_core":  # lines that must count, and lines that must not
        assert "return ((noise - eps_pred) ** 2).mean()" in secrets["eps_loss"]
        assert "check_q_sample(q_sample).raise_if_failed()" in secrets["test_q_sample_hidden"]
        assert "alphas = 1 - betas" not in secrets["posterior_mean"]  # the schedule cell shows it


def test_the_detector_flags_a_release_with_one_solution_pasted_in():
    """Would one solution line pasted into a released cell be caught, whether its JSON escapes quotes or ε?"""
    release = nbformat.read(RELEASE / "ddpm_core.ipynb", 4)
    line = 'print(f"ε-loss: {((noise - eps_pred) ** 2).mean():.3f}")  # the paper\'s L_simple'
    secrets = {"eps_loss": {code_of(line)}}
    assert not leaks(nbformat.writes(release).encode(), secrets)
    release.cells[-1].source += "\n" + line
    for data in [nbformat.writes(release).encode(), json.dumps(release, ensure_ascii=True).encode()]:
        assert code_of(line).encode() not in data  # escaped in the file's bytes, yet found
        assert leaks(data, secrets) == [f"eps_loss: {code_of(line)!r}"]


# --- what the lab serves ----------------------------------------------------------------------------------------


def served_downloads(monkeypatch) -> dict[str, bytes]:
    """label -> the bytes each of the Home page's download buttons serves, read from Streamlit's media storage
    (AppTest shows a button's label and URL, not its data)."""
    stored: dict[str, bytes] = {}
    load = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        file_id = load(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = path_or_data if isinstance(path_or_data, bytes) else Path(path_or_data).read_bytes()
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    out = {}
    for button in at.get("download_button"):
        [data] = [data for file_id, data in stored.items() if f"/{file_id}" in button.proto.url]
        out[button.proto.label] = data
    return out


def test_home_offers_exactly_the_released_notebooks(monkeypatch):
    """Does the Home page offer one download per lab_app/release/*.ipynb, serving that file's bytes?"""
    downloads = served_downloads(monkeypatch)
    released = sorted(RELEASE.glob("*.ipynb"))
    assert "ddpm_core.ipynb" in [p.name for p in released]
    assert downloads == {f"Download {p.name}": p.read_bytes() for p in released}


@needs_source
def test_no_download_holds_a_solution_or_hidden_test(monkeypatch):
    """Is every notebook the Home page serves free of nbgrader's markers and of the instructor's solution lines?"""
    downloads = served_downloads(monkeypatch)
    assert downloads
    secrets = all_secrets()
    for label, data in downloads.items():
        assert not leaks(data, secrets), f"{label} leaks: {leaks(data, secrets)}"
        assert "raise NotImplementedError()" in readable(data)  # the stub stands where the solutions were


@needs_source
def test_no_file_under_lab_app_holds_a_solution_or_hidden_test():
    """Does any file the Streamlit server could read (all of lab_app/) carry a solution or hidden-test line?"""
    secrets = all_secrets()
    files = [p for p in sorted((ROOT / "lab_app").rglob("*")) if p.is_file()]
    assert ROOT / "lab_app" / "pages" / "home.py" in files
    found = {}
    for path in files:
        # Markers only count in notebooks: a module may name them in its documentation.
        if hits := leaks(path.read_bytes(), secrets, markers=path.suffix == ".ipynb"):
            found[str(path.relative_to(ROOT))] = hits
    assert not found


# --- the release is current -------------------------------------------------------------------------------------


def cells(path: Path) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nbformat.read(path, 4).cells]


@needs_source
@pytest.mark.slow
def test_committed_release_is_what_nbgrader_builds_now(tmp_path):
    """Does lab_app/release/ hold, for every assignment, what `nbgrader generate_assignment` builds from the source
    notebook today? If not: `python -m graders.nbgrader.build_release`, and commit lab_app/release/."""
    built = build(tmp_path)
    assert sorted(p.name for p in built) == sorted(p.name for p in RELEASE.glob("*.ipynb"))
    for path in built:
        committed, fresh = cells(RELEASE / path.name), cells(path)
        stale = [i for i, (a, b) in enumerate(zip_longest(committed, fresh)) if a != b]
        assert not stale, (f"lab_app/release/{path.name} is stale ({len(stale)} cells differ, the first is cell "
                           f"{stale[0]}): rerun `python -m graders.nbgrader.build_release` and commit lab_app/release/")
        assert any("NotImplementedError" in source for _, source in committed)


# --- a deployment without the instructor's files ----------------------------------------------------------------


APP_RUN = """
import json
from streamlit.testing.v1 import AppTest
import lab_app, reference
at = AppTest.from_file("streamlit_app.py", default_timeout=180).run()
print(json.dumps({"exception": [e.value for e in at.exception], "info": [i.value for i in at.info],
                  "buttons": [b.proto.label for b in at.get("download_button")],
                  "imported_from": [lab_app.__file__, reference.__file__]}))
"""


@pytest.mark.parametrize("with_release", [True, False], ids=["release", "no-release"])
def test_home_runs_without_the_instructors_files(tmp_path, with_release):
    """Does the Home page run from a copy of the lab without assignments/ (its own Python process, importing only the
    copy), offering the release, or saying that there is none?"""
    ignore = shutil.ignore_patterns("__pycache__", *([] if with_release else ["release"]))
    shutil.copy2(ROOT / "streamlit_app.py", tmp_path)
    for folder in ["lab_app", "reference"]:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), DDPM_LAB_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", APP_RUN], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(Path(f).is_relative_to(tmp_path) for f in result["imported_from"]), result["imported_from"]
    assert not (tmp_path / "assignments").exists()
    assert result["exception"] == []
    if with_release:
        assert result["buttons"] == [f"Download {p.name}" for p in sorted(RELEASE.glob("*.ipynb"))]
        assert result["info"] == []
    else:
        assert result["buttons"] == []
        assert result["info"] == ["No assignment notebook has been released to this lab yet."]
