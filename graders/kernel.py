"""The notebook kernel `nbgrader autograde` runs, confined like the grading worker.

ConfinedKernelManager (graders/nbgrader_grade.py's ConfinedExecute uses it) differs from jupyter_client's in three ways:
- its sockets are Unix sockets (transport "ipc") in a folder of its own, so the kernel needs no network at all:
  the sandbox has none, not even a shared loopback;
- it interrupts the kernel by message, since the kernel runs in a PID namespace of its own;
- it launches this module's `main` (LAUNCHER, in isolated mode) with the kernelspec's command: this launcher
  (trusted) starts the kernel inside bubblewrap (graders/confine.py) in an empty /tmp of its own, with the lab's
  `graders/` and `reference/` read-only (so the visible sanity cells run for the feedback), its socket folder
  writable until its sockets exist, and nothing else: not the submission's folder (nbgrader copies links' targets
  into it), no gradebook, no nbgrader_config.py, no other submission, no source notebook. The launcher kills the
  sandbox after `wall_s` seconds (c.ConfinedKernelManager.wall_s), whatever it does.

Nothing the kernel prints decides a grade: graders/nbgrader_grade.py replaces every test cell's output with the
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
from .sandbox_users import lease

KERNEL_LIMITS = Limits(memory_gib=8.0)
# The launcher runs unconfined, in the notebook's folder, which holds whatever the student handed in beside the
# notebook (nbgrader copies it all): `python -m graders.kernel` there would import a submitted graders/kernel.py.
# Isolated mode (-I) keeps the current folder, PYTHONPATH and the user's site off sys.path; the lab's root goes first.
LAUNCHER = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            "from graders.kernel import main; sys.exit(main(sys.argv[1:]))")


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

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart and self.connection_file:
            shutil.rmtree(Path(self.connection_file).parent, ignore_errors=True)


def _connection_file(command: list[str]) -> Path:
    for flag in ("-f", "--f"):
        if flag in command and command.index(flag) + 1 < len(command):
            return Path(command[command.index(flag) + 1])
    raise SystemExit("graders.kernel: the kernel command names no connection file (-f FILE)")


def _take_back(sockets: Path, connection: Path, kernel: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Once the kernel has made its five sockets, make their folder and the connection file root's again, so the
    kernel cannot fill the host's disk through the one host folder it could write. The sockets exist before the
    kernel has finished starting, and notebook code runs only after the client has seen it start."""
    info = json.loads(connection.read_text())
    paths = [Path(f"{info['ip']}-{info[key]}") for key in ("shell_port", "iopub_port", "stdin_port", "control_port",
                                                            "hb_port")]
    deadline = time.monotonic() + timeout_s
    while not all(p.exists() for p in paths) and kernel.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    for path in (connection, sockets):
        os.chown(path, 0, 0)
    sockets.chmod(0o755)


def main(argv: list[str]) -> int:
    """Run the kernel command after `--` confined, for at most --wall seconds; the notebook's folder is the current one."""
    if "--" not in argv or argv[:1] != ["--wall"]:
        raise SystemExit("usage: python -m graders.kernel --wall SECONDS -- KERNEL COMMAND…")
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
    kernel = subprocess.Popen(command_line, env=env, cwd=cwd,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.geteuid() == 0:
        _take_back(sockets, connection, kernel)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: (kernel.kill(), sys.exit(1)))
    try:
        return kernel.wait(timeout=wall_s)
    except subprocess.TimeoutExpired:
        kernel.kill()
        kernel.wait()
        print(f"graders.kernel: the notebook's kernel ran past {wall_s:g} s and was stopped", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
