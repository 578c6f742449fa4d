"""Stage outputs on disk, as Parquet, so that a run holds one batch of documents at a time.

Each stage reads the part files of the stage before it, a batch at a time, and writes
its own; what passes between Dagster assets is the small manifest of a store (one row per
document, and the part file that holds its rows), never the documents themselves.

- raw rows: document_id, row, cells, where, confidences, provenance
- normalised rows: the same, with ``cells`` folded for matching and ``printed`` as printed
- grids (tables whose structure the reader saw, xxgk.grid): one row per cell, in a file
  beside the part (``<part>.grids.parquet``), only when the part has any


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

from xxgk.grid import Grid, GridCell
from xxgk.model import Cell, NormalisedDocument, NormalisedRow, RawDocument, Row

RAW_ROWS = {
    "document_id": pl.String,
    "row": pl.Int32,
    "cells": pl.String,
    "where": pl.String,
    "confidences": pl.String,
    "provenance": pl.String,
}
NORMALISED_ROWS = {**RAW_ROWS, "printed": pl.String}
GRID_CELLS = {
    "document_id": pl.String,
    "grid": pl.Int32,  # the table's number within its document
    "n_rows": pl.Int32,
    "n_cols": pl.Int32,
    "grid_where": pl.String,
    "anchor": pl.Int32,
    "grid_provenance": pl.String,
    "row": pl.Int32,
    "col": pl.Int32,
    "rowspan": pl.Int32,
    "colspan": pl.Int32,
    "text": pl.String,
    "printed": pl.String,  # null in the raw stage
    "where": pl.String,
    "confidence": pl.Float64,
}
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


def grids_path(part: Path) -> Path:
    """The file beside a part that holds its documents' grids."""
    part = Path(part)
    return part.with_name(f"{part.stem}.grids.parquet")


def write_grids(docs: list, part: Path) -> None:
    """The grids of `docs` (RawDocument or NormalisedDocument) beside their rows' part."""
    columns: dict[str, list] = {name: [] for name in GRID_CELLS}
    for doc in docs:
        for g, grid in enumerate(doc.grids):
            for cell in grid.cells:
                for name, value in (("document_id", doc.document_id), ("grid", g), ("n_rows", grid.n_rows),
                                    ("n_cols", grid.n_cols), ("grid_where", grid.where), ("anchor", grid.anchor),
                                    ("grid_provenance", grid.provenance), ("row", cell.row), ("col", cell.col),
                                    ("rowspan", cell.rowspan), ("colspan", cell.colspan), ("text", cell.text),
                                    ("printed", cell.printed), ("where", cell.where), ("confidence", cell.confidence)):
                    columns[name].append(value)
    if columns["document_id"]:
        write_frame(pl.DataFrame(columns, schema=GRID_CELLS), grids_path(part))


def read_grids(part: Path, document_ids: set[str] | None = None) -> dict[str, list[Grid]]:
    """{document_id: its grids, in order} from beside one part file (none if it has no grids file)."""
    path = grids_path(part)
    if not path.exists():
        return {}
    frame = pl.read_parquet(path)
    if document_ids is not None:
        frame = frame.filter(pl.col("document_id").is_in(list(document_ids)))
    out: dict[str, list[Grid]] = {}
    current: tuple[str, int] | None = None
    for r in frame.sort("document_id", "grid", "row", "col", maintain_order=True).iter_rows(named=True):
        if (r["document_id"], r["grid"]) != current:
            current = (r["document_id"], r["grid"])
            out.setdefault(r["document_id"], []).append(
                Grid(r["n_rows"], r["n_cols"], [], r["grid_where"], r["anchor"], r["grid_provenance"]))
        out[r["document_id"]][-1].cells.append(
            GridCell(r["row"], r["col"], r["text"], r["rowspan"], r["colspan"], r["where"], r["confidence"], r["printed"]))
    return out


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
    write_grids(docs, path)
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
    grids = read_grids(path, {m["document_id"] for m in manifest})
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
            grids=grids.get(m["document_id"], []),
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
    write_grids(docs, path)
    return write_frame(pl.DataFrame(columns, schema=NORMALISED_ROWS), path)


def normalised_documents(path: Path, manifest: list[dict]) -> list:
    """The NormalisedDocuments of `manifest` (rows of a normalised store's manifest) from one part file."""
    rows = read_rows(path, {m["document_id"] for m in manifest})
    grids = read_grids(path, {m["document_id"] for m in manifest})
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
            grids=grids.get(m["document_id"], []),
        )
        for m in manifest
    ]
