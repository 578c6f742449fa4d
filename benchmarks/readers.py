"""Readers and writers side by side: 1,000 reads by reader processes during 10 loads.

    .venv/bin/python -m benchmarks.readers [--reads 1000] [--loads 10] [--readers 4]

Each load replaces the year 2023 of the bundled text samples with every value +n and every
printed cell marked "~n" (n = 1..10), through the writer the assets use
(`warehouse.writer.open_writer`). Reader processes meanwhile open the warehouse read-only,
read its totals and close, as a BI tool polling does; a read is consistent when it sees one
load whole: a single marker n across the table, and the sum of values of exactly that load.
The writer paces itself so that the reads fall between and during the loads (load k starts
once 100·k reads are done).

Two ways of reading, one after the other in the same run:
- `published`: readers open the copy each load publishes by atomic rename (what xxgk does);
- `writer file`: readers open the writer's own file, as the README said before.
Prints reads, failed reads, inconsistent reads, failed loads, and read and load times.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

READ_SQL = """
SELECT count(*), sum(value), count(DISTINCT split_part(printed, '~', 2)), min(split_part(printed, '~', 2))
FROM v_disclosure_facts
"""


def _batch():
    from tests.fixtures.batches import batch_for
    from tests.fixtures.in_memory import ingest, normalise_all
    from xxgk import SAMPLES_DIR

    docs, _ = normalise_all(ingest(sorted(SAMPLES_DIR.glob("*.txt"))).documents)
    return batch_for(docs, 2023)


def _load(path: Path, batch, n: int, lock_wait: float) -> None:
    import polars as pl

    from warehouse.loader import ensure_schema, load_years
    from warehouse.writer import open_writer

    cells = batch.cells.with_columns(value=pl.col("value") + n, printed=pl.col("printed") + f"~{n}")
    with open_writer(path, lock_wait=lock_wait) as con:
        ensure_schema(con)
        load_years(con, type(batch)(**{**batch.__dict__, "cells": cells}))


def _reader(path: str, quota: int, done, expected: dict, results) -> None:
    import duckdb

    failures, inconsistent, times = [], 0, []
    while True:
        with done.get_lock():
            if done.value >= quota:
                break
            done.value += 1
        t0 = time.perf_counter()
        try:
            with duckdb.connect(path, read_only=True) as con:
                count, total, markers, marker = con.execute(READ_SQL).fetchone()
        except Exception as error:  # noqa: BLE001 (a failed read is what is counted)
            failures.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
            continue
        times.append(time.perf_counter() - t0)
        if markers != 1 or expected.get(int(marker)) != (count, round(total, 6)):
            inconsistent += 1
    results.put((failures, inconsistent, times))


def measure(mode: str, reads: int, loads: int, readers: int, batch, work: Path) -> dict:
    from warehouse.writer import published_path

    path = work / mode.replace(" ", "-") / "xxgk.duckdb"
    path.parent.mkdir(parents=True)
    _load(path, batch, 0, lock_wait=60)
    cells = batch.cells.height
    nonnull = batch.cells["value"].is_not_null().sum()
    base = float(batch.cells["value"].sum())
    expected = {n: (cells, round(base + n * nonnull, 6)) for n in range(loads + 1)}
    target = published_path(path) if mode == "published" else path
    ctx = multiprocessing.get_context("spawn")
    done, results = ctx.Value("i", 0), ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(str(target), reads, done, expected, results)) for _ in range(readers)]
    for p in procs:
        p.start()
    load_times, load_failures = [], []
    for n in range(1, loads + 1):
        while done.value < (n - 1) * reads // loads and any(p.is_alive() for p in procs):
            time.sleep(0.005)
        t0 = time.perf_counter()
        try:
            _load(path, batch, n, lock_wait=10)
            load_times.append(time.perf_counter() - t0)
        except Exception as error:  # noqa: BLE001
            load_failures.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
    outcomes = [results.get() for _ in procs]
    for p in procs:
        p.join()
    failures = [f for o in outcomes for f in o[0]]
    times = [t for o in outcomes for t in o[2]]
    return {
        "mode": mode, "reads": done.value, "failed reads": len(failures),
        "inconsistent reads": sum(o[1] for o in outcomes), "loads": loads, "failed loads": len(load_failures),
        "read ms (median / max)": f"{statistics.median(times) * 1000:.1f} / {max(times) * 1000:.1f}" if times else "-",
        "load s (median / max)": f"{statistics.median(load_times):.2f} / {max(load_times):.2f}" if load_times else "-",
        "first read failure": failures[0] if failures else "", "first load failure": load_failures[0] if load_failures else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--modes", default="published,writer file")
    args = parser.parse_args(argv)
    batch = _batch()
    print(f"{batch.cells.height} cells a load; {args.reads} reads by {args.readers} reader processes during {args.loads} loads")
    rows = []
    with tempfile.TemporaryDirectory(prefix="xxgk-readers-") as work:
        for mode in args.modes.split(","):
            rows.append(measure(mode, args.reads, args.loads, args.readers, batch, Path(work)))
            print(rows[-1], flush=True)
    keys = [k for k in rows[0] if k not in ("first read failure", "first load failure")]
    print()
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    for row in rows:
        for k in ("first read failure", "first load failure"):
            if row[k]:
                print(f"{row['mode']}: {k}: {row[k]}")
    return 0 if rows[0]["failed reads"] == rows[0]["inconsistent reads"] == rows[0]["failed loads"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
