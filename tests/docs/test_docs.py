"""Does the documentation hold together? The MkDocs site builds with every internal link and anchor checked, the
README's links and images point at files (and headings) that exist, and the README's set-up commands are the ones
tests/run.sh and CI run. No network: external links are not followed."""
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "mkdocs.yml").is_file())
README = ROOT / "README.md"
FIRST_SCREEN = 40  # lines a newcomer sees before scrolling

LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")  # [text](target), ![alt](src)
HTML_SRC = re.compile(r"<(?:img|a)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _without_code(text: str) -> str:
    """The Markdown with fenced blocks and code spans blanked out, so that `[x](y)` inside code is not a link."""
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return re.sub(r"`[^`\n]*`", "``", text)


def _github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading).strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _without_code(path.read_text()), re.MULTILINE)
    return {_github_slug(h) for h in headings}


def _commands(text: str) -> list[str]:
    """The command lines of the README's ```bash blocks, in order."""
    blocks = re.findall(r"^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _script_commands(path: Path) -> list[str]:
    """A shell script's commands, without comments, `set` options and the `cd` to the repository root."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]


def test_site_builds_with_links_and_anchors_checked(tmp_path):
    """Does `mkdocs build --strict` succeed, with a broken internal link, anchor or unlisted page counting as an
    error, and does the built site load nothing from elsewhere?"""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["docs_dir"] == "docs"
    plugins = config.get("plugins", [])
    assert set(plugins) <= {"search"}, f"only the plugins the mkdocs package ships; got {plugins}"
    for group, keys in {"links": ["not_found", "anchors", "absolute_links", "unrecognized_links"],
                        "nav": ["omitted_files", "not_found"]}.items():
        for key in keys:
            assert config["validation"][group][key] == "warn", f"validation.{group}.{key} must be warn for --strict"
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
                          "--site-dir", str(site)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    pages = sorted(p.relative_to(ROOT / "docs").with_suffix(".html") for p in (ROOT / "docs").rglob("*.md"))
    assert pages and all((site / page).is_file() for page in pages), pages
    remote = [f"{page.relative_to(site)}: {m}" for page in sorted(site.rglob("*.html"))
              for m in re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]+\"", page.read_text())]
    assert not remote, f"the site must work offline; {len(remote)} tags load from elsewhere, first {remote[:2]}"


def test_readme_links_and_images_exist():
    """Does every relative link and image in the README point at a file that exists, and every #anchor at one of
    that file's headings (as GitHub names them)?"""
    text = _without_code(README.read_text())
    targets = LINK.findall(text) + HTML_SRC.findall(text)
    assert any(t.startswith("docs/") for t in targets), "the README links into docs/"
    broken = []
    for target in targets:
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:: no network here
            continue
        path, _, anchor = target.partition("#")
        file = (README.parent / path).resolve() if path else README
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading with anchor #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, "broken links in README.md:\n" + "\n".join(broken)


def test_readme_screenshot_is_small():
    """Is the README's screenshot a PNG under 300 KB?"""
    images = [t for t in LINK.findall(_without_code(README.read_text())) if t.endswith(".png")]
    assert images, "the README shows a screenshot"
    for image in images:
        data = (README.parent / image).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 300_000, (image, len(data))


def test_readme_commands_are_what_ci_runs():
    """Are the README's two set-up commands on its first screen, is its test command the one .ci/run runs, and does
    its lab command make the venv and install the requirements as tests/run.sh does?"""
    text = README.read_text()
    commands = _commands(text)
    first_screen = _commands("\n".join(text.splitlines()[:FIRST_SCREEN]) + "\n")
    assert len(first_screen) >= 2, f"the first {FIRST_SCREEN} lines must hold the set-up commands; found {first_screen}"
    lab, test = first_screen[:2]

    ci = _script_commands(ROOT / ".ci" / "run")
    assert ci == [test], f"the README's test command {test!r} must be exactly what .ci/run runs: {ci}"
    assert test in commands

    make_venv, install, start = lab.split(" && ")
    run_sh = (ROOT / "tests" / "run.sh").read_text()
    assert make_venv in run_sh, f"tests/run.sh makes the venv another way than the README's {make_venv!r}"
    requirements = re.fullmatch(r"\.venv/bin/pip install -r (\S+)", install)
    assert requirements, install
    installed = re.findall(r"\.venv/bin/pip install .*-r (\S+)", run_sh)
    assert installed, "tests/run.sh installs a requirements file into .venv"
    included = {installed[0]} | set(re.findall(r"^-r\s+(\S+)", (ROOT / installed[0]).read_text(), re.MULTILINE))
    assert requirements.group(1) in included, \
        f"tests/run.sh installs {installed[0]}, which does not include the README's {requirements.group(1)}"
    app = re.fullmatch(r"\.venv/bin/streamlit run (\S+)", start)
    assert app and (ROOT / app.group(1)).is_file(), start
