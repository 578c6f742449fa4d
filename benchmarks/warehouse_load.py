"""What accumulating costs a load: one year of N reports, then late arrivals, new versions,
the same inbox again, and a retraction, into one warehouse (the loader alone, no Dagster, no GX).

    .venv/bin/python -m benchmarks.warehouse_load [--reports 2000] [--repeat 3]

The reports are the five 2023 samples' cells (~200 a report) under N agencies, written as
Parquet parts as the extraction stage writes them. Prints the median time of each step and
what the warehouse holds after it.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from tests.fixtures.expected import SAMPLE_FILES
from tests.fixtures.in_memory import extract_year, ingest, normalise_all
from warehouse.loader import YearBatch, connect, ensure_schema, load_years, retract
from xxgk.extract.year import REJECTED_SCHEMA, WARNINGS_SCHEMA

VIOLATIONS = {"agency": pl.String, "year": pl.Int32, "identity": pl.String, "scope": pl.String,
              "expected": pl.Float64, "printed": pl.Float64, "cells": pl.String, "document_id": pl.String}
PART = 250  # documents per Parquet part


def sample_reports() -> list[tuple[dict, pl.DataFrame]]:
    docs, _ = normalise_all(ingest([p for p in SAMPLE_FILES if "2023" in p.name]).documents)
    tables = extract_year(docs, 2023)
    cells = tables.cells.collect()
    return [(row, cells.filter(pl.col("document_id") == row["document_id"])) for row in tables.documents.to_dicts()]


def make_batch(samples, first: int, count: int, folder: Path, version: int = 0) -> YearBatch:
    """Reports `first`..`first+count-1` (agency i); version > 0 changes one number, so a new
    document of the same agency-year that disagrees with the first in one cell."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, parts, frames = [], [], []
    for i in range(first, first + count):
        meta, cells = samples[i % len(samples)]
        doc_id, agency = f"{version:02x}{i:014x}", f"测试{i}号局"
        cells = cells.with_columns(document_id=pl.lit(doc_id), agency=pl.lit(agency))
        if version:
            cells = cells.with_columns(value=pl.when(pl.int_range(pl.len()) == 0).then(pl.col("value") + version)
                                       .otherwise(pl.col("value")))
        frames.append(cells)
        rows.append({**meta, "document_id": doc_id, "agency": agency, "source_file": f"/inbox/{doc_id}.txt",
                     "violations": 0, "quality_status": "passed", "archive_key": None,
                     # the new version is read better: it is chosen
                     "cells_read": meta["cells_read"] + (1 if version else 0)})
        if len(frames) == PART or i == first + count - 1:
            path = folder / f"cells-{first}-{i}-{version}.parquet"
            pl.concat(frames).write_parquet(path)
            parts.append(str(path))
            frames = []
    return YearBatch([2023], pl.DataFrame(rows), parts, pl.DataFrame(schema=WARNINGS_SCHEMA),
                     pl.DataFrame(schema=VIOLATIONS), pl.DataFrame(schema=REJECTED_SCHEMA))


def held(con) -> str:
    one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
    return (f"{one('SELECT count(*) FROM fact_report')} reports, {one('SELECT count(*) FROM dim_document')} documents, "
            f"{one('SELECT count(*) FROM v_disclosure_facts')} facts, {one('SELECT count(*) FROM document_cell')} stored cells, "
            f"{one('SELECT count(*) FROM fact_version_difference')} differences")


def one_run(samples, n: int, work: Path) -> tuple[dict[str, float], dict[str, str]]:
    late, versions = max(1, n // 10), max(1, n // 10)
    batches = {"first": make_batch(samples, 0, n, work / "a"), "late": make_batch(samples, n, late, work / "b"),
               "versions": make_batch(samples, 0, versions, work / "c", version=1)}
    steps = [(f"first load: {n} reports", lambda con: load_years(con, batches["first"])),
             (f"late arrivals: {late} more reports of the year", lambda con: load_years(con, batches["late"])),
             (f"new versions: {versions} agency-years chosen again", lambda con: load_years(con, batches["versions"])),
             (f"the first inbox again ({n} reports, nothing changes)", lambda con: load_years(con, batches["first"])),
             ("retract one chosen version", lambda con: retract(con, f"01{0:014x}", "bench", "benchmark"))]
    times, states = {}, {}
    con = connect(work / "w.duckdb")
    ensure_schema(con)
    for name, step in steps:
        t = time.perf_counter()
        step(con)
        times[name] = time.perf_counter() - t
        states[name] = held(con)
    con.close()
    return times, states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    samples = sample_reports()
    runs, states = [], {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-load-") as tmp:
            times, states = one_run(samples, args.reports, Path(tmp))
            runs.append(times)
    print(f"warehouse loads, {args.reports} reports of one year, median of {args.repeat} runs (s):")
    for name in runs[0]:
        print(f"  {statistics.median(r[name] for r in runs):7.2f}  {name}  ->  {states[name]}")


if __name__ == "__main__":
    main()
