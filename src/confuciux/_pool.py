"""Process pools whose workers end with their parent (:func:`process_pool`), for sweeps
(:mod:`confuciux.sweeps`) and a searched mapping's layer searches (:mod:`confuciux.mapping.options`).
A module of its own at the bottom of the package, so that both can use it."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["process_pool", "PARENT_POLL"]


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[cf.ProcessPoolExecutor]:
    """A process pool (``with process_pool(4) as pool: sweep(cases, pool)``) whose workers end with
    this process, however it ends: each worker asks Linux to kill it when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``) and watches its parent from a thread as well (every other
    system, or a parent gone before the request was made).  Leaving the block normally waits for
    the pool; leaving it by an exception (Ctrl-C, SIGTERM turned into one, a case that raised)
    kills the workers at once, so that nothing runs on after the sweep.  Workers are spawned
    (fresh interpreters), so the cases and their methods must be importable (module level)."""
    pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_die_with_parent, initargs=(os.getpid(),))  # fmt: skip
    try:
        yield pool
    except BaseException:
        _kill_workers(pool)
        raise
    pool.shutdown(wait=True)


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Kill the pool's workers now; the pool then fails its pending futures as broken."""
    if sys.version_info < (3, 12):
        # Python < 3.12 marks every pending work item failed when a worker dies and stops with
        # InvalidStateError (printed by its thread) at one already cancelled, as sweep() cancels
        # them: give those items a fresh future to fail instead (CPython's pending-items table).
        items: Mapping[int, Any] = getattr(pool, "_pending_work_items", None) or {}
        for item in list(items.values()):
            if item.future.cancelled():
                item.future = cf.Future()
    processes: Mapping[int, Any] = getattr(pool, "_processes", None) or {}  # CPython's pid -> Process
    for process in list(processes.values()):
        process.kill()
    pool.shutdown(wait=False)


#: Seconds between two looks of a worker at its parent (the fallback of PR_SET_PDEATHSIG).
PARENT_POLL = 0.5


def _die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when the process ``parent`` ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # no libc to load: the watchdog alone
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="confuciux-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)
