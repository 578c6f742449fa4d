"""The one writing connection to the warehouse, and the readers' copy it publishes.

DuckDB lets one process hold a database file for writing, and a writer cannot open it
while any other process holds it, even read-only. So readers (BI tools, `xxgk run`'s summary)
never open the writer's file: every write ends by publishing a copy of it,
`<name>.published.duckdb` beside it, by atomic rename. A reader opens whichever copy is
there and keeps it (its open file survives the next rename) for as long as it likes; the
next reader to open the path sees the next load, whole. Neither side waits for the other.

A write that cannot happen (read-only folder, full disk) is raised as one
`WarehouseWriteError` saying why, and the connection is always closed: a connection left
open would make the next one in this process fail with DuckDB's "different configuration"
instead of the real cause.
"""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from xxgk.waiting import WaitTimeout, say_on_stderr, wait_for

# Only writers contend for the writer's file (readers open the published copy), and runs of
# one Dagster instance queue for it in the pool "duckdb_writer"; this covers writers of other
# instances, each holding it for one load.
LOCK_WAIT_SECONDS = 300.0

# The operating system's words for "this cannot be written", as DuckDB passes them on.
_OS_CAUSES = re.compile(
    r"Permission denied|Operation not permitted|Read-only file system|No space left on device"
    r"|Disk quota exceeded|File too large|Input/output error|Is a directory|Not a directory"
)


class WarehouseWriteError(Exception):
    """The warehouse cannot be written; the message says which file and why, in one line."""


def published_path(warehouse: str | Path) -> Path:
    """The readers' copy of `warehouse`: the file BI tools open (xxgk.duckdb -> xxgk.published.duckdb)."""
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.published{warehouse.suffix or '.duckdb'}")


def readable_path(warehouse: str | Path) -> Path:
    """The file to read `warehouse` from: its published copy, once there is one."""
    published = published_path(warehouse)
    return published if published.exists() else Path(warehouse)


@contextmanager
def open_writer(warehouse: str | Path, lock_wait: float = LOCK_WAIT_SECONDS,
                say: Callable[[str], None] | None = say_on_stderr) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection to `warehouse`; when the block ends without error, the readers'
    copy is published. Closed in every case. While another process holds the file, `say`
    hears so (xxgk.waiting: after 3 s, then every minute) until `lock_wait` runs out."""
    warehouse = Path(warehouse)
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseWriteError(f"cannot write the warehouse {warehouse}: {error.strerror}") from error
    from warehouse.loader import quiet

    con = _connect(warehouse, lock_wait, say)
    try:
        yield quiet(con)
        publish(con, warehouse)
    except (duckdb.Error, OSError) as error:
        cause = _os_cause(error)
        if cause is None:
            raise
        raise WarehouseWriteError(f"cannot write the warehouse {warehouse}: {cause}") from error
    finally:
        with suppress(duckdb.Error):
            con.close()


def publish(con: duckdb.DuckDBPyConnection, warehouse: Path) -> Path:
    """Copy the writer's file, checkpointed, to the readers' path by atomic rename.

    Called with the writing connection open and no transaction running, so nothing changes
    the file while it is copied. Readers that hold the previous copy keep reading it.
    """
    con.execute("CHECKPOINT")  # everything committed is in the file itself, not in its .wal
    target = published_path(warehouse)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(warehouse, partial)  # in the kernel (sendfile, or a reflink where the file system has them)
        with open(partial, "rb+") as copy:
            os.fsync(copy.fileno())  # on disk before it takes the readers' name
        os.replace(partial, target)
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()
    _fsync_folder(target.parent)
    return target


def _fsync_folder(folder: Path) -> None:
    with suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _connect(warehouse: Path, lock_wait: float, say: Callable[[str], None] | None) -> duckdb.DuckDBPyConnection:
    last: list[duckdb.Error] = []

    def attempt() -> duckdb.DuckDBPyConnection | None:
        try:
            return duckdb.connect(str(warehouse))
        except duckdb.Error as error:
            cause = _os_cause(error)
            if cause is not None:
                raise WarehouseWriteError(f"cannot write the warehouse {warehouse}: {cause}") from error
            if "lock" not in str(error).lower():
                raise
            last[:] = [error]
            return None

    def holder() -> str:
        found = re.search(r"PID \d+", str(last[0])) if last else None
        return f" ({found.group(0)})" if found else ""

    try:
        return wait_for(attempt, say=say, timeout=lock_wait,
                        waiting=lambda s: f"waiting {s:.0f} s for the warehouse {warehouse}: another process writes it{holder()}")
    except WaitTimeout as timeout:
        raise WarehouseWriteError(
            f"cannot write the warehouse {warehouse}: another process holds it{holder()} after {lock_wait:.0f} s of waiting"
        ) from (last[0] if last else timeout)


def _os_cause(error: BaseException) -> str | None:
    """The operating system's reason in `error` or the errors it was raised from, with the
    file it concerns when DuckDB names one: 'Permission denied (w.duckdb.wal)'."""
    found = os_reason(error)
    if found is None:
        return None
    reason, file = found
    return reason + (f" ({Path(file).name})" if file else "")


def os_reason(error: BaseException) -> tuple[str, str | None] | None:
    """The operating system's reason in `error` or the errors it was raised from (an OSError,
    or DuckDB's words for one), and the file it concerns when one is named; None when the
    error was not the operating system's."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.strerror:
            return error.strerror, (str(error.filename) if error.filename else None)
        text = str(error)
        found = _OS_CAUSES.search(text)
        if found:
            file = re.search(r'file "([^"]+)"|directory "([^"]+)"', text)
            return found.group(0), (file.group(1) or file.group(2) if file else None)
        error = error.__cause__ or error.__context__
    return None
