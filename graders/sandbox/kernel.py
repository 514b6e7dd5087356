"""The notebook kernel `nbgrader autograde` runs, confined like the grading worker.

ConfinedKernelManager (graders/nbgrader/grade.py's ConfinedExecute uses it) differs from jupyter_client's in three ways:
- its sockets are Unix sockets (transport "ipc") in a folder of its own, so the kernel needs no network at all:
  the sandbox has none, not even a shared loopback;
- it interrupts the kernel by message, since the kernel runs in a PID namespace of its own;
- it launches this module's `main` (LAUNCHER, in isolated mode) with the kernelspec's command: this launcher
  (trusted) starts the kernel inside bubblewrap (graders/sandbox/confine.py) in an empty /tmp of its own, with the lab's
  `graders/` and `reference/` read-only (so the visible sanity cells run for the feedback), its socket folder
  writable until its sockets exist, and nothing else: not the submission's folder (nbgrader copies links' targets
  into it), no gradebook, no nbgrader_config.py, no other submission, no source notebook. The launcher kills the
  sandbox after `wall_s` seconds (c.ConfinedKernelManager.wall_s), whatever it does.

When the kernel ends other than by shutdown (it died, or ran past wall_s), the launcher says why in nbgrader's log
and in ENDED, a file of its folder the manager reads before removing it (`ended_because`): the last lines the
kernel wrote to stderr (kept in a file outside the sandbox, capped by its file-size limit). ConfinedExecute starts a
kernel that died before replying again, and otherwise tells the student, in the feedback, why later cells have no
output.

Nothing the kernel prints decides a grade: graders/nbgrader/grade.py replaces every test cell's output with the
verdict of a confined grading worker.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client import AsyncKernelManager
from traitlets import Float

from .confine import ROOT, Limits, Mounts, sandbox
from .users import lease

KERNEL_LIMITS = Limits(memory_gib=8.0)
ENDED = "ended.txt"
STDERR_TAIL = 2000  # characters of the kernel's stderr quoted when it dies
# The launcher runs unconfined, in the notebook's folder, which holds whatever the student handed in beside the
# notebook (nbgrader copies it all): `python -m graders.sandbox.kernel` there would import a submitted
# graders/sandbox/kernel.py.
# Isolated mode (-I) keeps the current folder, PYTHONPATH and the user's site off sys.path; the lab's root goes first.
LAUNCHER = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from graders.sandbox.kernel import main; sys.exit(main(sys.argv[1:]))")


class ConfinedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run through the confined launcher, over Unix sockets in a private folder."""

    wall_s = Float(300.0, help="Seconds a notebook's kernel may live, whatever it does; an honest run takes about "
                               "5 s. Configure as c.ConfinedKernelManager.wall_s.").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        folder = Path(tempfile.mkdtemp(prefix="ddpm-kernel-"))
        self.transport = "ipc"
        self.connection_file = str(folder / "kernel.json")
        self.ip = str(folder / "ipc")
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        return [sys.executable, "-I", "-c", LAUNCHER, "--wall", str(self.wall_s), "--",
                *super().format_kernel_cmd(extra_arguments)]

    ended_because = None  # why the kernel ended, when the launcher said (ENDED); read before the folder goes

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart and self.connection_file:
            folder = Path(self.connection_file).parent
            try:
                self.ended_because = (folder / ENDED).read_text()[:STDERR_TAIL + 200]
            except OSError:
                pass
            shutil.rmtree(folder, ignore_errors=True)

    # AsyncKernelManager binds cleanup_resources to the base class's coroutine, so nbclient's call (after a kernel
    # that died at start) would skip the override above
    cleanup_resources = _async_cleanup_resources


def _connection_file(command: list[str]) -> Path:
    for flag in ("-f", "--f"):
        if flag in command and command.index(flag) + 1 < len(command):
            return Path(command[command.index(flag) + 1])
    raise SystemExit("graders.sandbox.kernel: the kernel command names no connection file (-f FILE)")


def _take_back(sockets: Path, connection: Path, kernel: subprocess.Popen, uid: int, timeout_s: float = 60.0) -> None:
    """Once the kernel has made its five sockets, make their folder root's again, so the kernel cannot fill the
    host's disk through the one host folder it could write; the connection file becomes root's too, but stays
    readable by the kernel's group (its own, `uid`), since ipykernel reads it again after binding its sockets (taken
    away, about one kernel start in ten died of "Permission denied: kernel.json"). Notebook code runs only after
    the client has seen the kernel start."""
    info = json.loads(connection.read_text())
    paths = [Path(f"{info['ip']}-{info[key]}") for key in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                                            "hb_port")]
    deadline = time.monotonic() + timeout_s
    while not all(p.exists() for p in paths) and kernel.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.chown(connection, 0, uid)
    connection.chmod(0o640)
    os.chown(sockets, 0, 0)
    sockets.chmod(0o755)


def main(argv: list[str]) -> int:
    """Run the kernel command after `--` confined, for at most --wall seconds; the notebook's folder is the current one."""
    if "--" not in argv or argv[:1] != ["--wall"]:
        raise SystemExit("usage: python -m graders.sandbox.kernel --wall SECONDS -- KERNEL COMMAND…")
    wall_s = float(argv[1])
    command = argv[argv.index("--") + 1:]
    with lease("kernel") as uid:  # held while the kernel lives: no other kernel on this machine runs as uid
        return _run_kernel(command, uid, wall_s)


def _run_kernel(command: list[str], uid: int, wall_s: float) -> int:
    connection = _connection_file(command)
    sockets = connection.parent
    if os.geteuid() == 0:  # the sandbox user must read the connection file and make its sockets here
        for path in (sockets, connection):
            os.chown(path, uid, uid)
    # The kernel starts in its own empty /tmp, not in the notebook's folder: nbgrader copies into that folder whatever
    # was handed in beside the notebook, links' targets included, so it may hold course files.
    mounts = Mounts(read_only=(ROOT / "graders", ROOT / "reference"), writable=(sockets,), env={"PYTHONPATH": str(ROOT)})
    command_line, env, cwd = sandbox(command, mounts, uid, KERNEL_LIMITS)
    with tempfile.TemporaryFile() as stderr:  # the launcher's own, outside the sandbox; RLIMIT_FSIZE caps it
        kernel = subprocess.Popen(command_line, env=env, cwd=cwd,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        if os.geteuid() == 0:
            _take_back(sockets, connection, kernel, uid)
        for signum in (signal.SIGTERM, signal.SIGHUP):  # a shutdown by jupyter_client: nothing to report
            signal.signal(signum, lambda *_: (kernel.kill(), sys.exit(1)))
        try:
            code = kernel.wait(timeout=wall_s)
            why = f"the notebook's kernel ended (exit code {code})" if code else None
        except subprocess.TimeoutExpired:
            kernel.kill()
            kernel.wait()
            code, why = 1, f"the notebook's kernel ran past {wall_s:g} s and was stopped"
        if why:
            _report(why, _tail(stderr), sockets)
        return code


def _tail(file) -> str:
    """The last STDERR_TAIL characters of `file`, printable."""
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - 4 * STDERR_TAIL))
    text = file.read().decode("utf-8", "replace")[-STDERR_TAIL:]
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in text).strip()


def _report(why: str, stderr: str, folder: Path) -> None:
    """Say why the kernel ended in nbgrader's log (this launcher's stderr) and in the folder's ENDED file."""
    text = why + (f"; its last words on stderr:\n{stderr}" if stderr else "; it wrote nothing to stderr")
    print(f"graders.sandbox.kernel: {text}", file=sys.stderr, flush=True)
    try:
        (folder / ENDED).write_text(text)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
