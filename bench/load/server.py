"""The lab's server for a load run (and for tests/test_browser.py): `streamlit run streamlit_app.py` on a free loopback
port, and its CPU and memory sampled with psutil while the students work."""
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

import numpy as np
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


WARM_UP_DONE = "warm-up: the pages' defaults computed"  # lab_app/views/warmup.py's last line


def wait_for_warm_up(log: Path, timeout: float = 900.0) -> float:
    """Wait until the server writing `log` says its warm-up finished; the seconds waited. TimeoutError quoting the
    log's end if it does not within `timeout`."""
    start = time.monotonic()
    while WARM_UP_DONE not in log.read_text(errors="replace"):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"no warm-up within {timeout:g} s; the server's log ends: "
                               f"{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    return time.monotonic() - start


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
    """CPU (% of one core) and memory of a process and its children (the compute process), together and the process
    alone, the machine's 1-minute load average, and the CPU of this harness itself, sampled every `interval` s while
    `run()` runs as a task. Memory is RSS, and PSS (each shared page split between the processes that map it), since
    the server and its compute process map the same torch libraries: their RSS summed counts those pages twice."""

    def __init__(self, proc: psutil.Process | None, url: str | None = None, interval: float = 0.5):
        self.proc, self.url, self.interval = proc, url, interval
        self.cpu: list[tuple[float, float]] = []  # % of one core per interval: (all, the server process alone)
        self.memory: list[tuple[int, int, int]] = []  # bytes: (RSS of all, PSS of all, RSS of the server alone)
        self.load: list[float] = []
        self.lag: list[float] = []  # s this harness's event loop overslept each interval (its own delay to every timing)
        self.health: list[float] = []  # s to GET /_stcore/health: how long the server's event loop takes to answer
        self._start = time.monotonic(), time.process_time()

    async def run(self) -> None:
        last, last_time = self._cpu_seconds(), time.monotonic()
        while True:
            asleep = time.monotonic()
            await asyncio.sleep(self.interval)
            self.lag.append(time.monotonic() - asleep - self.interval)
            if self.url is not None:
                start = time.monotonic()
                try:
                    await asyncio.to_thread(urllib.request.urlopen, f"{self.url}/_stcore/health", timeout=30)
                    self.health.append(time.monotonic() - start)
                except OSError:
                    self.health.append(float("inf"))
            self.load.append(os.getloadavg()[0])
            if self.proc is None:
                continue
            now, now_time = self._cpu_seconds(), time.monotonic()
            # a child that exits takes its time with it
            self.cpu.append(tuple(max(0.0, 100 * (a - b) / (now_time - last_time)) for a, b in zip(now, last)))
            last, last_time = now, now_time
            self.memory.append(self._memory())

    def summary(self) -> dict:
        """Server CPU mean and peak, peak RSS and PSS, with the server process's own share (None where not measured),
        load average mean and peak, harness CPU."""
        wall, cpu = time.monotonic() - self._start[0], time.process_time() - self._start[1]
        out = {"cpu_mean_percent": None, "cpu_peak_percent": None, "cpu_server_mean_percent": None,
               "rss_peak_mib": None, "pss_peak_mib": None, "rss_server_peak_mib": None,
               "load_average_mean": sum(self.load) / len(self.load) if self.load else os.getloadavg()[0],
               "load_average_peak": max(self.load, default=os.getloadavg()[0]),
               "harness_cpu_percent": 100 * cpu / wall,
               "harness_lag_p95_s": float(np.percentile(self.lag, 95)) if self.lag else None,
               "harness_lag_max_s": max(self.lag, default=None),
               "health_p95_s": float(np.percentile(self.health, 95)) if self.health else None,
               "health_max_s": max(self.health, default=None)}
        if self.cpu:
            every, server = zip(*self.cpu)
            rss, pss, rss_server = (max(m) / 2 ** 20 for m in zip(*self.memory))
            out.update(cpu_mean_percent=sum(every) / len(every), cpu_peak_percent=max(every),
                       cpu_server_mean_percent=sum(server) / len(server), rss_peak_mib=rss, pss_peak_mib=pss,
                       rss_server_peak_mib=rss_server)
        return out

    def _family(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def _cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far: (the family's, the server process's)."""
        total = server = 0.0
        for p in self._family():
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system
            if p.pid == self.proc.pid:
                server = t.user + t.system
        return total, server

    def _memory(self) -> tuple[int, int, int]:
        rss = pss = server = 0
        for p in self._family():
            try:
                m = p.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss, pss = rss + m.rss, pss + getattr(m, "pss", m.rss)
            if p.pid == self.proc.pid:
                server = m.rss
        return rss, pss, server
