"""OCR cost and accuracy on scans of hongze-2024.pdf: time per page and per report, cells right.

    .venv/bin/python -m benchmarks.ocr [--workers 1,2] [--repeat 3]

For each scan of tests/fixtures/scans.py (every page a picture; only the table pages
pictures; an office scan: 150 dpi, skewed, grey, noisy, blurred, JPEG 55), the real ingestion (xxgk.inbox.read_inbox, which OCRs the pages that need it)
then normalisation and extraction, timed per worker count; the cells are compared with the
hand transcription tests/expected/hongze-2024.csv. Prints medians; asserts nothing.
About 3 minutes with the defaults on two cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def measure(name: str, data: bytes, workers: int) -> dict:
    import polars as pl

    from tests.fixtures.expected import expected_cells
    from xxgk.extract.year import extract_store
    from xxgk.inbox import read_inbox
    from xxgk.normalise import normalise_store

    tmp = Path(tempfile.mkdtemp(prefix="xxgk-bench-ocr-"))
    path = tmp / name
    path.write_bytes(data)
    pages = []
    start = time.perf_counter()
    raw = read_inbox([path], tmp / "raw", workers=workers, ocr_progress=lambda done, total, task: pages.append(time.perf_counter()))
    read_s = time.perf_counter() - start
    norm = normalise_store(raw, tmp / "norm")
    tables = extract_store(norm, 2024, tmp / "tables")
    got = tables.cells.collect()
    want = expected_cells("hongze-2024")
    key = ["category_code", "applicant_type", "measure"]
    joined = want.join(got, on=key, how="left", nulls_equal=True, suffix="_got")
    right = joined.filter(pl.col("value").eq_missing(pl.col("value_got")) & pl.col("printed").eq_missing(pl.col("printed_got")))
    return {"seconds": read_s, "pages": len(pages), "right": right.height, "expected": want.height,
            "extracted": got.height, "ocr_cells": got.filter(pl.col("provenance") == "ocr").height,
            "unread": got.filter(pl.col("cell_status") == "not_read").height,
            "reader": raw.documents["reader_check"][0]}


def main(argv: list[str] | None = None) -> int:
    from tests.fixtures import scans

    parser = argparse.ArgumentParser(prog="python -m benchmarks.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    cases = {"hongze-2024-scan.pdf": scans.image_only(), "hongze-2024-table-pages-scanned.pdf": scans.table_pages_as_images(),
             "hongze-2024-office-scan.pdf": scans.realistic_scan()}
    print(f"OCR benchmark: rapidocr (models bundled in the wheel), pages rendered at {scans.DPI} dpi (the office scan {scans.SCAN_DPI}), workers {workers}, "
          f"{args.repeat} runs each, medians")
    measure("warm-up.pdf", cases["hongze-2024-table-pages-scanned.pdf"], 1)  # model load, first-use caches
    # every worker count uses every core: one process runs onnxruntime on all of them, W
    # processes on cores / W threads each (xxgk.readers.pdf.ocr.ocr_pages)
    cores = os.cpu_count() or 1
    for name, data in cases.items():
        for w in workers:
            runs = [measure(name, data, w) for _ in range(args.repeat)]
            secs = statistics.median(r["seconds"] for r in runs)
            r = runs[0]
            each = " ".join(f"{x['seconds']:.1f}" for x in runs)
            print(f"  {name:40} workers={w}: {secs:5.1f} s a report ({r['pages']} pages OCR'd: {secs / r['pages']:.1f} s a page, "
                  f"{secs * cores / r['pages']:.1f} core-s a page); runs {each}")
        print(f"      cells right {r['right']} / {r['expected']} expected ({r['extracted']} extracted, {r['ocr_cells']} by OCR, "
              f"{r['unread']} not read); {r['reader']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
