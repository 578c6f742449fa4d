"""4. The stage functions the assets call, timed in this process; 5. the naive baseline."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.throughput.cells import compare_cells, read_expected

# assets/quality.py GATE_BATCH_DOCUMENTS (not imported: that module imports Dagster)
GATE_BATCH_DOCUMENTS = 250
READ1 = "read_inbox (1 worker)"
STAGE_KEYS = {"read": READ1, "normalise": "normalise_store (1 worker)", "extract": "extract_store (1 worker)"}


def _year_batch(tables, result):
    """The YearBatch of one year, built as assets/quality.py (rechoose) + assets/warehouse.py do."""
    import polars as pl

    from warehouse.loader import YearBatch

    yt = tables.rechoose(result.per_document)
    documents = yt.documents.join(result.per_document.select("document_id", "quality_status"), on="document_id", how="left")
    return YearBatch(years=[tables.year], documents=documents.with_columns(archive_key=pl.lit(None, pl.String)),
                     cells=yt.cells_source, warnings=yt.warnings, violations=result.violations, rejected=yt.rejected)


def _du(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def stage_timings(pdfs: list[Path], extra_workers: int | None, expected_csv: Path, verify_share: float) -> dict:
    """The stage functions the assets call, in this process, on the same files: 1 worker
    (tasks run here, in order), then read/normalise/extract again with `extra_workers`."""
    import gc
    import pickle

    import polars as pl

    from expectations import gates
    from warehouse.loader import connect, ensure_schema, load_years
    from xxgk.extract.year import extract_store
    from xxgk.inbox import read_inbox
    from xxgk.normalise import normalise_store

    out: dict[str, float] = {}
    n = len(pdfs)
    work = Path(tempfile.mkdtemp(prefix="xxgk-bench-stages-"))
    try:
        # imports and first-use caches (pdfium, pdfminer's CMaps, OpenCC's dictionaries) before the
        # clock: two files read both ways, normalised, extracted
        t = time.perf_counter()
        warm = read_inbox(pdfs[:2], work / "warm" / "raw", workers=1, verify_share=1.0)
        warm_norm = normalise_store(warm, work / "warm" / "normalised", workers=1)
        for y in warm_norm.years:
            extract_store(warm_norm, y, work / "warm" / f"tables-{y}", workers=1)
        warm_s = time.perf_counter() - t

        t = time.perf_counter()
        raw = read_inbox(pdfs, work / "raw", workers=1, verify_share=verify_share)
        out[STAGE_KEYS["read"]] = time.perf_counter() - t
        t = time.perf_counter()
        norm = normalise_store(raw, work / "normalised", workers=1)
        out[STAGE_KEYS["normalise"]] = time.perf_counter() - t
        years = norm.years
        t = time.perf_counter()
        tables = {y: extract_store(norm, y, work / f"tables-{y}", workers=1) for y in years}
        out[STAGE_KEYS["extract"]] = time.perf_counter() - t
        stage_of = {STAGE_KEYS["read"]: "read", STAGE_KEYS["normalise"]: "normalise", STAGE_KEYS["extract"]: "extract"}

        # untimed: the cells of *every* document, superseded versions too, against expected.csv
        files = pl.concat([tables[y].documents.select("document_id", "source_file") for y in years])
        got = pl.concat([tables[y].cells.collect() for y in years]).join(files, on="document_id").select(
            pl.col("source_file").str.extract(r"([^/]*)$").alias("file"), "category_code",
            pl.col("applicant_type").fill_null(""), "measure", "value", "printed")
        all_cells = compare_cells(read_expected(expected_csv), got)
        cells = got.height
        del got
        readers = raw.documents.group_by("reader").len().sort("len", descending=True).rows()
        reader_checks = raw.documents.group_by("reader", "reader_check").len().sort("len", descending=True).rows()
        plumber_pages = pdfplumber_pages(raw.documents)

        t = time.perf_counter()
        gates._gx()  # the import of great_expectations itself (gates imports it lazily)
        gx_import = time.perf_counter() - t
        t = time.perf_counter()
        gates._suite_and_batch("report_identities")  # ephemeral context + suite, once per process
        gates._suite_and_batch("year_carry")
        gx_setup = time.perf_counter() - t
        t = time.perf_counter()
        quality = {y: gates.validate_report_batches(tables[y].cell_batches(GATE_BATCH_DOCUMENTS)) for y in years}
        batches = {y: _year_batch(tables[y], quality[y]) for y in years}
        out[f"validate_report_batches + rechoose (GX, {len(years)} years)"] = time.perf_counter() - t
        stage_of[f"validate_report_batches + rechoose (GX, {len(years)} years)"] = "gates"

        load_s = 0.0
        con = connect(work / "w.duckdb")
        for y in years:  # as assets/warehouse.py: ensure_schema + load_years, XY_CARRY inside its transaction
            t = time.perf_counter()
            ensure_schema(con)
            load_years(con, batches[y], check_carry=lambda cells: gates.validate_year_carry(cells).violations)
            load_s += time.perf_counter() - t
        con.close()
        out[f"DuckDB load + validate_year_carry (ensure_schema + load_years, {len(years)} years)"] = load_s

        # what the stages keep on disk, and what passes between the Dagster steps (pickled manifests)
        store = {"raw rows (Parquet)": _du(work / "raw"), "normalised rows (Parquet)": _du(work / "normalised"),
                 "cells (Parquet)": sum(_du(work / f"tables-{y}") for y in years)}
        pickled = {"RawStore": len(pickle.dumps(raw)), "NormalisedStore": len(pickle.dumps(norm)),
                   "YearTables (all years)": sum(len(pickle.dumps(t)) for t in tables.values())}
        rejected_count = len(norm.rejected) + sum(t.rejected.height for t in tables.values())
        documents = norm.documents.height

        extra: dict[str, tuple[str, float]] = {}
        if extra_workers:
            del raw, norm, tables, batches, quality
            gc.collect()
            from xxgk import parallel

            t = time.perf_counter()  # the forkserver (once per process) and a stage's workers
            list(parallel.run_tasks(os.getpid, [()] * extra_workers, extra_workers))
            extra[f"fork server + {extra_workers} workers start"] = ("pool", time.perf_counter() - t)
            t = time.perf_counter()  # what every further stage pays
            list(parallel.run_tasks(os.getpid, [()] * extra_workers, extra_workers))
            extra[f"{extra_workers} workers start and stop (each stage)"] = ("pool", time.perf_counter() - t)
            w = extra_workers
            t = time.perf_counter()
            raw2 = read_inbox(pdfs, work / "raw2", workers=w, verify_share=verify_share)
            extra[f"read_inbox ({w} workers)"] = ("read", time.perf_counter() - t)
            t = time.perf_counter()
            norm2 = normalise_store(raw2, work / "normalised2", workers=w)
            extra[f"normalise_store ({w} workers)"] = ("normalise", time.perf_counter() - t)
            t = time.perf_counter()
            for y in norm2.years:
                extract_store(norm2, y, work / f"tables2-{y}", workers=w)
            extra[f"extract_store ({w} workers)"] = ("extract", time.perf_counter() - t)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"stages": out, "stage_of": stage_of, "warm": warm_s, "gx_import": gx_import, "gx_setup": gx_setup, "n": n,
            "documents": documents, "rejected": rejected_count, "all_cells": all_cells, "years": years, "cells": cells,
            "extra": extra, "readers": readers, "reader_checks": reader_checks, "pdfplumber_pages": plumber_pages,
            "store_bytes": store, "pickled_bytes": pickled}


def pdfplumber_pages(manifest) -> tuple[int, int, int]:
    """(documents pdfplumber read, the pages it read, their pages) for the documents of a raw store's
    manifest whose reading used pdfplumber: read by it, or verified by it (verify_share). It reads
    page 1 and the table pages (xxgk.readers.pdf.TABLE_PAGE on pdfium's text lines, as read_pdf does)."""
    import pypdfium2 as pdfium

    from xxgk.readers.pdf import TABLE_PAGE
    from xxgk.readers.pdf.layout import gap_lines, pdfium_page_words

    docs = pages = wanted = 0
    for row in manifest.iter_rows(named=True):
        reader, why = row["reader"] or "", row["reader_check"] or ""
        if not (reader.startswith("pdfplumber") or "verified" in why or "verification" in why):
            continue
        docs += 1
        pdf = pdfium.PdfDocument(row["source_file"])
        try:
            for i in range(len(pdf)):
                page = pdf[i]
                text = "\n".join(" ".join(cells) for _, cells in gap_lines(pdfium_page_words(page)))
                page.close()
                pages += 1
                wanted += i == 0 or bool(TABLE_PAGE.search(text))
        finally:
            pdf.close()
    return docs, wanted, pages


# --- 5. the naive baseline ------------------------------------------------------------------------


def naive_baseline(pdfs: list[Path]) -> dict:
    import pdfplumber

    pages = tables = 0
    t = time.perf_counter()
    for path in pdfs:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                tables += len(page.extract_tables())
                pages += 1
    return {"seconds": time.perf_counter() - t, "pages": pages, "tables": tables, "n": len(pdfs)}
