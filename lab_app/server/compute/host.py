"""How background work shares the server with the students' page reruns (Linux and glibc; elsewhere these do nothing):
a thread lowers its own priority, memory a finished job freed goes back to the OS, and the server's threads share a
few malloc arenas."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading

M_ARENA_MAX = -8  # glibc's mallopt parameter number
SERVER_ARENAS = 2
BACKGROUND_NICE = 10  # the compute service's and the warm-up's threads; a page's rerun keeps the process's 0


def lower_this_thread(nice: int = BACKGROUND_NICE) -> None:
    """Give the calling thread `nice` (threads it starts inherit it); nothing where the OS has no per-thread nice."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once (find_library runs `ldconfig -p`, about 1 ms: too much for every rerun); None
    where it cannot be loaded."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def _call_libc(function: str, *args: int) -> None:
    """libc's `function`(*args), or nothing where there is no such function (not glibc)."""
    try:
        getattr(_libc(), function)(*args)
    except AttributeError:
        pass


def return_freed_memory() -> None:
    """glibc's malloc_trim(0): a batch's freed activations (hundreds of MB for a U-Net's bound) stay in the process's
    heap otherwise, counted in its RSS, until a later allocation happens to reuse them."""
    _call_libc("malloc_trim", 0)


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> None:
    """glibc's mallopt(M_ARENA_MAX, arenas) for the threads started from now on. Streamlit runs every rerun in a new
    thread, and glibc gives busy threads arenas of their own (up to 8 per core), each keeping what its threads freed."""
    _call_libc("mallopt", M_ARENA_MAX, arenas)
