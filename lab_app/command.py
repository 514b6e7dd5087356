"""The `ddpm-lab` command of an installed lab (`pip install .`): serve the lab, grade a class, compare submissions.

    ddpm-lab serve [STREAMLIT OPTIONS]   the lab on http://localhost:8501 (`streamlit run streamlit_app.py`)
    ddpm-lab grade ASSIGNMENT [...]      nbgrader autograde for a class on Dask (`python -m graders.batch.autograde`)
    ddpm-lab compare SUBMITTED [...]     the TA tool's report (`python -m graders.compare`)

`ddpm-lab COMMAND --help` says more. A router only, as streamlit_app.py is for the pages: each command's own module
parses its arguments, and the lab and the graders are imported only by the command that needs them.
"""
from __future__ import annotations

import importlib.util
import sys
import sysconfig
import tomllib
from pathlib import Path

USAGE = __doc__.split("\n\n")[1]
# Where `pip install .` puts the lab's Streamlit settings (pyproject.toml's data-files): no .streamlit/ folder
# travels with an installed package.
INSTALLED_CONFIG = Path(sysconfig.get_path("data")) / "share" / "ddpm-lab" / "config.toml"


def streamlit_settings(app: Path) -> list[str]:
    """The lab's Streamlit settings as `streamlit run` flags: from .streamlit/config.toml beside `app` in a checkout,
    else from the installed copy."""
    checkout = app.parent / ".streamlit" / "config.toml"
    config = checkout if checkout.is_file() else INSTALLED_CONFIG
    if not config.is_file():
        raise FileNotFoundError(f"the lab's Streamlit settings are missing (looked for {checkout} and "
                                f"{INSTALLED_CONFIG}); reinstall the lab with pip install .")
    settings = tomllib.loads(config.read_text())
    return [f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
            for section, values in settings.items() for key, value in values.items()]


def serve(argv: list[str], prog: str) -> int:
    """`streamlit run` on the lab's streamlit_app.py, wherever it is installed, with the lab's settings; `argv`
    (Streamlit's own options, e.g. --server.port 8502) comes last, so it overrides them."""
    if argv[:1] in (["-h"], ["--help"]):
        print(f"usage: {prog} [STREAMLIT OPTIONS]\n\nServes the lab (`streamlit run streamlit_app.py` with the lab's "
              f"settings). Options go to `streamlit run`, e.g. --server.port 8502 --server.address 0.0.0.0; "
              f"`streamlit run --help` lists them.")
        return 0
    spec = importlib.util.find_spec("streamlit_app")  # found, not imported: importing it would run the lab
    if spec is None or not spec.origin:
        print("error: streamlit_app.py is not installed; pip install the lab first", file=sys.stderr)
        return 2
    app = Path(spec.origin)
    from streamlit.web import cli

    # The installed app sits in site-packages: Streamlit's file watcher would watch every library loaded from there,
    # and a served class has no source edits to reload.
    try:
        flags = ["--server.fileWatcherType=none", *streamlit_settings(app)]
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return cli.main(["run", str(app), *flags, *argv], prog_name="streamlit", standalone_mode=True)


def grade(argv: list[str], prog: str) -> int:
    from graders.batch import autograde

    return autograde.main(argv, prog)


def compare(argv: list[str], prog: str) -> int:
    from graders.compare import cli

    return cli.main(argv, prog)


COMMANDS = {"serve": serve, "grade": grade, "compare": compare}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(f"usage:\n{USAGE}")
        return 0
    if not argv or argv[0] not in COMMANDS:
        said = f"unknown command {argv[0]!r}" if argv else "no command given"
        print(f"usage:\n{USAGE}\nerror: {said}; choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:], f"ddpm-lab {argv[0]}")


if __name__ == "__main__":
    sys.exit(main())
