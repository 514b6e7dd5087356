"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, listen on a Unix socket only, yield an
SQLAlchemy URL, stop it and delete everything at the end.

    with postgres_server() as url:        # postgresql+psycopg2://nbgrader@/gradebook?host=/tmp/pg-xxxx
        Gradebook(url)

    def test_something(postgres_url):     # the same as a module-scoped fixture: `from postgres import postgres_url`

Uses Debian's server binaries (package `postgresql`; tests/run.sh installs it as root). PostgreSQL refuses to run
as root, so as root the server runs as Debian's `postgres` user, who owns the temporary folder; otherwise it runs
as the current user. The server trusts every local connection: it listens on no TCP port, and its socket sits in
a folder only its owner (and root) can enter. Where no initdb is found, the fixture skips.
"""
from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROLE = "nbgrader"  # the superuser initdb creates; any name works, as the socket trusts every local connection


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or no unprivileged user to run them as."""


def server_bin() -> Path:
    """The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/<version>/bin, else PATH's."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parent.parent.name)] or [0])
        return Path(newest).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable("no initdb: install Debian's postgresql (tests/run.sh does so as root)")


def server_user() -> pwd.struct_passwd:
    """Who runs the server: the current user, or Debian's `postgres` user when that is root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no `postgres` user to run the server as") from None


@contextmanager
def postgres_server(database: str = "gradebook") -> Iterator[str]:
    """Start a fresh server with one empty `database`; yield its SQLAlchemy URL; stop it and delete its files."""
    bin_dir, user = server_bin(), server_user()
    as_user = {} if os.geteuid() != 0 else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def run(*args: str) -> None:
        proc = subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=root, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "HOME": user.pw_dir}, **as_user)
        if proc.returncode != 0:
            log = (root / "server.log").read_text()[-2000:] if (root / "server.log").exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}\n{log}")

    # Short path under /tmp: a Unix socket's path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    os.chown(root, user.pw_uid, user.pw_gid)  # mode 0700 from mkdtemp
    data = root / "data"
    try:
        run("initdb", "-D", str(data), "-U", ROLE, "--auth=trust", "--encoding=UTF8", "--no-sync")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{root}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        run("pg_ctl", "start", "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60")
        try:
            run("createdb", "-h", str(root), "-U", ROLE, database)
            yield f"postgresql+psycopg2://{ROLE}@/{database}?host={root}"
        finally:
            run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "60")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """The SQLAlchemy URL of a throwaway PostgreSQL database, one server per test module; skips without initdb."""
    try:
        server_bin(), server_user()
    except PostgresUnavailable as e:
        pytest.skip(str(e))
    with postgres_server() as url:
        yield url
