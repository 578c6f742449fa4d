"""Stage outputs on disk, as Parquet, so that a run holds one batch of documents at a time.

Each stage reads the part files of the stage before it, a batch at a time, and writes
its own; what passes between Dagster assets is the small manifest of a store (one row per
document, and the part file that holds its rows), never the documents themselves.

- raw rows: document_id, row, cells, where, confidences, provenance
- normalised rows: the same, with ``cells`` folded for matching and ``printed`` as printed

The cells of a row are one string joined by the unit separator (U+001F, which no report
prints: it is replaced by a space if one ever does), not a list column: Polars builds a
string column from Python lists ~10x faster. Confidences (OCR rows only) are JSON.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import polars as pl

from xxgk.documents import RawDocument, Row

RAW_ROWS = {
    "document_id": pl.String,
    "row": pl.Int32,
    "cells": pl.String,
    "where": pl.String,
    "confidences": pl.String,
    "provenance": pl.String,
}
NORMALISED_ROWS = {**RAW_ROWS, "printed": pl.String}
SEP = "\x1f"


def _join(cells: list[str]) -> str:
    return SEP.join(c.replace(SEP, " ") for c in cells)


def _confidences(values: list[float | None] | None) -> str | None:
    return None if values is None else json.dumps(values)


def new_dir(root: Path, prefix: str) -> Path:
    """A fresh folder under root, named so that runs never write into each other's."""
    path = Path(root) / f"{prefix}-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    return path


def prune(root: Path, prefix: str, keep: int) -> None:
    """Remove all but the `keep` newest folders `prefix`-* under root (older runs' stores)."""
    root = Path(root)
    if not root.is_dir():
        return
    folders = sorted((p for p in root.glob(f"{prefix}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def write_frame(frame: pl.DataFrame, path: Path) -> Path:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)
    return path


def write_raw_rows(docs: list[RawDocument], path: Path) -> Path:
    columns: dict[str, list] = {name: [] for name in RAW_ROWS}
    for doc in docs:
        for n, row in enumerate(doc.rows):
            columns["document_id"].append(doc.document_id)
            columns["row"].append(n)
            columns["cells"].append(_join(row.cells))
            columns["where"].append(row.where)
            columns["confidences"].append(_confidences(row.confidences))
            columns["provenance"].append(row.provenance)
    return write_frame(pl.DataFrame(columns, schema=RAW_ROWS), path)


def read_rows(path: Path, document_ids: set[str] | None = None) -> dict[str, list[dict]]:
    """{document_id: its rows as dicts, in order} of one part file (only `document_ids`, if given);
    cells (and printed) as lists, confidences as a list or None."""
    frame = pl.read_parquet(path)
    if document_ids is not None:
        frame = frame.filter(pl.col("document_id").is_in(list(document_ids)))
    out: dict[str, list[dict]] = {}
    for row in frame.sort("document_id", "row", maintain_order=True).iter_rows(named=True):
        row["cells"] = row["cells"].split(SEP)
        if "printed" in row:
            row["printed"] = row["printed"].split(SEP)
        if row["confidences"] is not None:
            row["confidences"] = json.loads(row["confidences"])
        out.setdefault(row["document_id"], []).append(row)
    return out


def raw_documents(path: Path, manifest: list[dict]) -> list[RawDocument]:
    """The documents of `manifest` (rows of a raw store's manifest) from one part file."""
    rows = read_rows(path, {m["document_id"] for m in manifest})
    return [
        RawDocument(
            document_id=m["document_id"],
            source_file=m["source_file"],
            format=m["format"],
            size_bytes=m["size_bytes"],
            rows=[Row(r["cells"], r["where"], r["confidences"], r["provenance"]) for r in rows.get(m["document_id"], [])],
            pages=m["pages"],
            reader=m["reader"],
            reader_check=m["reader_check"],
        )
        for m in manifest
    ]


def write_normalised_rows(docs: list, path: Path) -> Path:
    columns: dict[str, list] = {name: [] for name in NORMALISED_ROWS}
    for doc in docs:
        for n, row in enumerate(doc.rows):
            columns["document_id"].append(doc.document_id)
            columns["row"].append(n)
            columns["cells"].append(_join([c.text for c in row.cells]))
            columns["printed"].append(_join([c.printed for c in row.cells]))
            columns["where"].append(row.where)
            columns["confidences"].append(_confidences(row.confidences))
            columns["provenance"].append(row.provenance)
    return write_frame(pl.DataFrame(columns, schema=NORMALISED_ROWS), path)


def normalised_documents(path: Path, manifest: list[dict]) -> list:
    """The NormalisedDocuments of `manifest` (rows of a normalised store's manifest) from one part file."""
    from xxgk.normalise import Cell, NormalisedDocument, NormalisedRow

    rows = read_rows(path, {m["document_id"] for m in manifest})
    return [
        NormalisedDocument(
            document_id=m["document_id"],
            source_file=m["source_file"],
            format=m["format"],
            size_bytes=m["size_bytes"],
            agency=m["agency"],
            year=m["year"],
            format_version=m["format_version"],
            rows=[NormalisedRow([Cell(t, p) for t, p in zip(r["cells"], r["printed"])], r["where"], r["confidences"],
                                r["provenance"]) for r in rows.get(m["document_id"], [])],
            pages=m["pages"],
            reader=m["reader"],
            reader_check=m["reader_check"],
        )
        for m in manifest
    ]
