"""The lab's server for a load run: `streamlit run streamlit_app.py` on a free loopback port (the command line of
tests/test_browser.py's fixture), and its CPU and memory sampled with psutil while the students work."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Wait until GET url/_stcore/health answers; RuntimeError if the server exits first or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}: "
                                   f"{log.read_text()[-2000:] if log else ''}")
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {timeout:g} s")


@contextmanager
def streamlit_server(log: Path, *, app: Path = ROOT, timeout: float = 60.0) -> Iterator[tuple[str, psutil.Process]]:
    """A fresh `streamlit run streamlit_app.py` in the checkout `app` on localhost (headless, no file watcher), as
    (URL, process); stopped on exit. Its output goes to `log` (a file, not a pipe: a full pipe would block it)."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "localhost", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=app, stdout=out, stderr=subprocess.STDOUT, text=True)
        url = f"http://localhost:{port}"
        try:
            wait_healthy(url, timeout, proc, log)
            yield url, psutil.Process(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def listening_process(url: str) -> psutil.Process | None:
    """The local process listening on url's port (for --url), or None where psutil cannot see it."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        pids = {c.pid for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    except psutil.AccessDenied:
        return None
    pids.discard(None)
    return psutil.Process(pids.pop()) if len(pids) == 1 else None


class Monitor:
    """CPU (% of one core) and resident memory of a process and its children, the machine's 1-minute load average,
    and the CPU of this harness itself, sampled every `interval` s while `run()` runs as a task."""

    def __init__(self, proc: psutil.Process | None, interval: float = 0.5):
        self.proc, self.interval = proc, interval
        self.cpu: list[float] = []  # % of one core, per interval
        self.rss: list[int] = []  # bytes
        self.load: list[float] = []
        self._start = time.monotonic(), time.process_time()

    async def run(self) -> None:
        last, last_time = self._cpu_seconds(), time.monotonic()
        while True:
            await asyncio.sleep(self.interval)
            self.load.append(os.getloadavg()[0])
            if self.proc is None:
                continue
            now, now_time = self._cpu_seconds(), time.monotonic()
            self.cpu.append(max(0.0, 100 * (now - last) / (now_time - last_time)))  # a child that exits takes its time
            last, last_time = now, now_time
            self.rss.append(self._rss())

    def summary(self) -> dict:
        """Server CPU mean and peak, peak RSS (None where not measured), load average mean and peak, harness CPU."""
        wall, cpu = time.monotonic() - self._start[0], time.process_time() - self._start[1]
        out = {"cpu_mean_percent": None, "cpu_peak_percent": None, "rss_peak_mib": None,
               "load_average_mean": sum(self.load) / len(self.load) if self.load else os.getloadavg()[0],
               "load_average_peak": max(self.load, default=os.getloadavg()[0]),
               "harness_cpu_percent": 100 * cpu / wall}
        if self.cpu:
            out.update(cpu_mean_percent=sum(self.cpu) / len(self.cpu), cpu_peak_percent=max(self.cpu),
                       rss_peak_mib=max(self.rss) / 2 ** 20)
        return out

    def _family(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu_seconds(self) -> float:
        total = 0.0
        for p in self._family():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def _rss(self) -> int:
        total = 0
        for p in self._family():
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total
