"""How background work shares the server with the students' page reruns (Linux; elsewhere these do nothing): a thread
lowers its own priority, and memory a finished job freed goes back to the OS."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

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
