"""How background work shares the server with the students' page reruns (Linux and glibc; elsewhere these do nothing):
a thread lowers its own priority, memory a finished job freed goes back to the OS, and the server's threads share a
few malloc arenas."""
from __future__ import annotations

import ctypes
import ctypes.util
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


def return_freed_memory() -> None:
    """glibc's malloc_trim(0): a batch's freed activations (hundreds of MB for a U-Net's bound) stay in the process's
    heap otherwise, counted in its RSS, until a later allocation happens to reuse them."""
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> None:
    """glibc's mallopt(M_ARENA_MAX, arenas) for the threads started from now on. Streamlit runs every rerun in a new
    thread, and glibc gives busy threads arenas of their own (up to 8 per core), each keeping what its threads freed."""
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError, TypeError):
        pass
