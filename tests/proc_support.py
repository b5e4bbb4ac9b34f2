"""Processes seen through /proc (Linux): the pool workers a command started, and whether a
process still runs — shared by the tests that kill a command and check its workers end with it."""

from __future__ import annotations

import os


def pool_workers(parent: int, least_threads: int = 1) -> list[int]:
    """The children of ``parent`` that are spawned pool workers (multiprocessing's
    ``spawn_main``; its resource tracker is not one) running at least ``least_threads`` threads
    (2: the worker has started its parent watch)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read()
            threads = int(open(f"/proc/{entry}/status").read().split("Threads:")[1].split()[0])
        except (OSError, IndexError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline and threads >= least_threads:
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
