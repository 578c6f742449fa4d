"""The writer's connection: readers never block it nor are blocked by it, and a write that
cannot happen says why in one line and leaves nothing open."""
import os
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager

import duckdb
import polars as pl
import pytest

from tests.conftest import SAMPLE_FILES
from tests.fixtures.batches import batch_for, snapshot
from tests.fixtures.in_memory import ingest, normalise_all
from warehouse.loader import ensure_schema, load_years
from warehouse.writer import WarehouseWriteError, open_writer, published_path, readable_path

# a sum of doubles depends on the order DuckDB's threads add them in: rounded, the same data gives the same total
TOTAL_SQL = "SELECT count(*), round(sum(value), 6), max(printed) FROM v_disclosure_facts"


@pytest.fixture(scope="module")
def batch():
    docs, _ = normalise_all(ingest([p for p in SAMPLE_FILES if p.suffix == ".txt"]).documents)
    return batch_for(docs, 2023)


def load(path, batch, **kwargs):
    with open_writer(path, **kwargs) as con:
        ensure_schema(con)
        load_years(con, batch)


def variant(batch, n: int):
    """The same reports, as if re-published with every value +n: each load's totals differ."""
    changed = batch.cells.with_columns(value=pl.col("value") + n, printed=pl.col("printed") + f"~{n}")
    return type(batch)(**{**batch.__dict__, "cells": changed})


def totals(path):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(TOTAL_SQL).fetchone()


def test_each_load_publishes_a_whole_copy_for_readers(tmp_path, batch):
    path = tmp_path / "xxgk.duckdb"
    assert readable_path(path) == path  # nothing published yet
    load(path, batch)
    published = published_path(path)
    assert published == tmp_path / "xxgk.published.duckdb" and readable_path(path) == published
    with duckdb.connect(str(path), read_only=True) as writer_file, duckdb.connect(str(published), read_only=True) as copy:
        assert snapshot(copy) == snapshot(writer_file)
        assert copy.execute(TOTAL_SQL).fetchone()[0] == batch.cells.height > 0  # every cell of the load
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xxgk.duckdb", "xxgk.published.duckdb"]  # no partial copy left


def test_a_reader_holding_the_published_copy_does_not_block_a_load(tmp_path, batch):
    path = tmp_path / "xxgk.duckdb"
    load(path, batch)
    before = totals(published_path(path))
    # a BI tool's connection, held open for the whole load
    with duckdb.connect(str(published_path(path)), read_only=True) as reader:
        t0 = time.monotonic()
        load(path, variant(batch, 1), lock_wait=5)
        took = time.monotonic() - t0
        assert reader.execute(TOTAL_SQL).fetchone() == before  # its copy, whole and unchanged
    assert took < 30
    after = totals(published_path(path))
    assert after != before and after[0] == before[0] and after[1] == pytest.approx(before[1] + after[0] - _nulls(path))


def _nulls(path):
    with duckdb.connect(str(published_path(path)), read_only=True) as con:
        return con.execute("SELECT count(*) FROM v_disclosure_facts WHERE value IS NULL").fetchone()[0]


READER = textwrap.dedent(
    """
    import os, sys, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    reads = failures = 0
    seen = set()
    while reads + failures < 20 or not os.path.exists(stop):  # at least 20 reads, until the loads are over
        try:
            with duckdb.connect(path, read_only=True) as con:
                seen.add(con.execute("SELECT max(printed) FROM v_disclosure_facts WHERE printed LIKE '%~%'").fetchone()[0]
                         + "|" + str(con.execute("SELECT count(DISTINCT split_part(printed, '~', 2)) FROM v_disclosure_facts"
                                                 " WHERE printed LIKE '%~%'").fetchone()[0]))
            reads += 1
        except Exception as error:
            failures += 1
            print(type(error).__name__, error, file=sys.stderr)
    print(reads, failures, ";".join(sorted(seen)))
    """
)


def test_readers_polling_during_loads_never_fail_and_see_whole_loads(tmp_path, batch):
    path = tmp_path / "xxgk.duckdb"
    load(path, variant(batch, 0))
    stop = tmp_path / "loads-done"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published_path(path)), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    loads = 0
    while loads < 3 or reader.poll() is None:  # the reader's 20 reads fall during loads
        loads += 1
        load(path, variant(batch, loads % 10), lock_wait=5)
        if loads >= 3:
            stop.touch()
    out, err = reader.communicate(timeout=300)
    reads, failures, seen = out.split(" ", 2)
    assert (int(failures), err) == (0, "")
    assert int(reads) >= 20 and loads >= 3
    # each read saw the values of one load only (one distinct "~n" across the whole table)
    assert seen.strip() and all(s.endswith("|1") for s in seen.strip().split(";"))


@contextmanager
def read_only_folder(folder):
    """`folder` made unwritable (immutable when run as root, whom file modes do not stop)."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o555)
        made, undo = True, None
    try:
        probe = folder / ".probe"
        try:
            probe.touch()
            probe.unlink()
            writable = True
        except OSError:
            writable = False
        if not made or writable:
            pytest.skip("cannot make a folder read-only here (root without the immutable attribute)")
        yield folder
    finally:
        if undo:
            subprocess.run(undo, check=False)
        else:
            folder.chmod(0o755)


def test_a_read_only_folder_is_one_line_and_closes_the_connection(tmp_path, batch):
    path = tmp_path / "xxgk.duckdb"
    load(path, batch)
    with duckdb.connect(str(path), read_only=True) as con:
        before = snapshot(con)
    with read_only_folder(tmp_path):
        with pytest.raises(WarehouseWriteError) as failed:
            load(path, variant(batch, 1))
        # nothing of this process holds the file: the next connection opens (no "different configuration")
        with duckdb.connect(str(path), read_only=True) as con:
            assert snapshot(con) == before
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write the warehouse {path}: ")
    assert message.endswith(("Permission denied (xxgk.duckdb.wal)", "Operation not permitted (xxgk.duckdb.wal)"))


def test_a_new_warehouse_in_a_read_only_folder_is_one_line(tmp_path, batch):
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only_folder(folder), pytest.raises(WarehouseWriteError) as failed:
        load(folder / "xxgk.duckdb", batch)
    assert str(failed.value) in (f"cannot write the warehouse {folder / 'xxgk.duckdb'}: {why} (xxgk.duckdb)"
                                 for why in ("Permission denied", "Operation not permitted"))


FULL_DISK = textwrap.dedent(
    """
    import sys
    from tests.warehouse.test_writer import load, variant
    from tests.fixtures.batches import batch_for
    from tests.conftest import SAMPLE_FILES
    from warehouse.writer import WarehouseWriteError
    from tests.fixtures.in_memory import ingest
    from tests.fixtures.in_memory import normalise_all
    import resource, signal

    docs, _ = normalise_all(ingest([p for p in SAMPLE_FILES if p.suffix == ".txt"]).documents)
    batch = batch_for(docs, 2023)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk with ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
    try:
        load(sys.argv[1], batch)
    except WarehouseWriteError as error:
        print(error)
    """
)


def test_a_write_that_runs_out_of_room_is_one_line(tmp_path):
    path = tmp_path / "xxgk.duckdb"
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(path), str(256 * 1024)], capture_output=True, text=True,
                          cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot write the warehouse {path}: File too large"), done.stdout
    assert not published_path(path).exists()
