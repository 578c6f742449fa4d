"""Settings of the process that runs the code location (CLI, `dagster dev`'s run workers)."""
from __future__ import annotations

import ctypes
import os
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """At most `arenas` glibc malloc arenas in this process, unless MALLOC_ARENA_MAX says otherwise.

    glibc gives each thread that allocates its own arena (up to 8 per core), and an arena
    keeps the memory it once held: Dagster, DuckDB and the worker pool's threads each fill one
    in turn, and a long run keeps what all of them once held (benchmarks/README.md, Throughput).
    Set before those threads exist; the worker processes keep glibc's default.
    Returns whether the limit was set (not on other C libraries, nor when the variable is set).
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False


_SYNCS_RELAXED = False


def relax_sqlite_syncs() -> None:
    """Dagster's SQLite storage (run history and event log of a local instance) in this process
    commits without waiting for the disk: synchronous=NORMAL in WAL mode, which Dagster's SQLite
    storages use. Every event of a run is its own transaction, and with SQLite's default (FULL)
    each one waits for an fsync: seconds of a one-report run (benchmarks/README.md, Fixed
    cost). In WAL mode NORMAL loses nothing when the
    process dies; a power cut or a kernel crash may lose the last events, never the database's
    consistency (sqlite.org/pragma.html#pragma_synchronous). Only in the process that calls it
    (`xxgk run`); the UI's and the daemon's processes keep Dagster's default.
    """
    global _SYNCS_RELAXED
    if _SYNCS_RELAXED:
        return
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _normal(connection, _record) -> None:
        if isinstance(connection, sqlite3.Connection):
            connection.execute("PRAGMA synchronous=NORMAL")

    _SYNCS_RELAXED = True
