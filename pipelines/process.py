"""Settings of the process that runs the code location (CLI, `dagster dev`'s run workers)."""
from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """At most `arenas` glibc malloc arenas in this process, unless MALLOC_ARENA_MAX says otherwise.

    glibc gives each thread that allocates its own arena (up to 8 per core), and an arena
    keeps the memory it once held. Dagster, DuckDB and the worker pool's threads each fill
    one in turn, so over a 10,000-report run the process kept ~90 MB more than with two
    arenas (benchmarks/throughput, 10,000 reports, 2 workers, run with MALLOC_ARENA_MAX=2:
    largest process 988 MB -> 898 MB). Set before those threads exist; the worker processes
    keep glibc's default.
    Returns whether the limit was set (not on other C libraries, nor when the variable is set).
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
