"""Measure (print, not assert) what the gates cost: GX import, first run, per-report validation.

    .venv/bin/python -m benchmarks.gates
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import polars as pl


def _cells(path: Path) -> pl.DataFrame:
    from xxgk.documents import read_document
    from xxgk.extract import extract_report
    from xxgk.extract.trust import reading_facts
    from xxgk.normalise import normalise_document

    doc = normalise_document(read_document(path, judge=reading_facts))
    return extract_report(doc).cells_frame().with_columns(
        agency=pl.lit(doc.agency), year=pl.lit(doc.year), format_version=pl.lit(doc.format_version)
    )


def main() -> None:
    from xxgk import SAMPLES_DIR

    reports = {p.name: _cells(p) for p in sorted(SAMPLES_DIR.iterdir()) if p.suffix in (".txt", ".pdf")}

    start = time.perf_counter()
    from expectations import gates

    gates._gx()
    print(f"GX import:                           {time.perf_counter() - start:6.2f} s")

    first = next(iter(reports.values()))
    start = time.perf_counter()
    gates.validate_reports(first)
    print(f"first validation (context + suite):  {time.perf_counter() - start:6.2f} s")

    print("per report, warm (instances + GX):")
    for name, cells in reports.items():
        start = time.perf_counter()
        gate = gates.validate_reports(cells)
        took = time.perf_counter() - start
        print(f"  {name:34s} {took * 1000:7.1f} ms  {gate.instances.height:4d} instances, {gate.checked:4d} checked")

    both = pl.concat(list(reports.values()))
    start = time.perf_counter()
    gate = gates.validate_reports(both)
    took = time.perf_counter() - start
    print(f"all {len(reports)} reports in one call:           {took * 1000:7.1f} ms  ({gate.checked} checked)")

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        gates.validate_reports(both, data_docs_dir=Path(tmp))
        print(f"same, writing Data Docs:             {(time.perf_counter() - start) * 1000:7.1f} ms")
        start = time.perf_counter()
        gates.validate_year_carry(both, data_docs_dir=Path(tmp))
        print(f"year_carry with Data Docs:           {(time.perf_counter() - start) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
