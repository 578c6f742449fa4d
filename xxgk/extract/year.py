"""Extraction of a whole statistics year, and the choice of one document per agency-year."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from xxgk.extract.tables import CELL_SCHEMA, WARNING_SCHEMA, extract_report
from xxgk.normalise import NormalisedDocument

REPORT_COLUMNS = {"agency": pl.String, "year": pl.Int32, "format_version": pl.String}
DOCUMENT_SCHEMA = {
    "document_id": pl.String,
    "source_file": pl.String,
    "duplicate_files": pl.String,
    "format": pl.String,
    "size_bytes": pl.Int64,
    "pages": pl.Int32,
    **REPORT_COLUMNS,
    "cells": pl.Int32,
    "cells_read": pl.Int32,
    "warnings": pl.Int32,
    "status": pl.String,
}
REJECTED_SCHEMA = {"document_id": pl.String, "source_file": pl.String, "stage": pl.String, "year": pl.Int32, "reason": pl.String}


@dataclass
class YearTables:
    """The extracted tables of one statistics year."""

    year: int
    documents: pl.DataFrame  # every usable document of the year, chosen or superseded (DOCUMENT_SCHEMA)
    cells: pl.DataFrame  # one row per cell, of every document (CELL_SCHEMA + agency, year, format_version)
    warnings: pl.DataFrame  # WARNING_SCHEMA + agency, year
    rejected: pl.DataFrame  # documents with none of the three tables (REJECTED_SCHEMA)

    def chosen(self) -> pl.DataFrame:
        return self.documents.filter(pl.col("status") == "loaded")

    def chosen_cells(self) -> pl.DataFrame:
        return self.cells.join(self.chosen().select("document_id"), on="document_id", how="semi")


def extract_year(documents: list[NormalisedDocument], year: int, duplicate_files: dict[str, list[str]] | None = None, progress=None) -> YearTables:
    duplicate_files = duplicate_files or {}
    docs = [d for d in documents if d.year == year]
    cell_frames, warning_frames, rows, rejected = [], [], [], []
    for n, doc in enumerate(docs, start=1):
        extraction = extract_report(doc)
        meta = {"agency": doc.agency, "year": doc.year, "format_version": doc.format_version}
        cells = extraction.cells_frame()
        if cells.is_empty():
            rejected.append({"document_id": doc.document_id, "source_file": doc.source_file, "stage": "extraction", "year": year,
                             "reason": "a report with no tables: none of the tables of sections 二, 三, 四 was found"})
            continue
        cell_frames.append(cells.with_columns(*(pl.lit(v, dtype=REPORT_COLUMNS[k]).alias(k) for k, v in meta.items())))
        warning_frames.append(extraction.warnings_frame().with_columns(
            pl.lit(doc.agency, dtype=pl.String).alias("agency"), pl.lit(year, dtype=pl.Int32).alias("year")))
        rows.append({
            "document_id": doc.document_id,
            "source_file": doc.source_file,
            "duplicate_files": "; ".join(duplicate_files.get(doc.document_id, [])) or None,
            "format": doc.format,
            "size_bytes": doc.size_bytes,
            "pages": doc.pages,
            **meta,
            "cells": cells.height,
            "cells_read": cells.filter(pl.col("cell_status").is_in(["read", "converted"])).height,
            "warnings": len(extraction.warnings),
            "status": "",
        })
        if progress:
            progress(n, len(docs), doc.source_file)
    cell_schema = {**CELL_SCHEMA, **REPORT_COLUMNS}
    warning_schema = {**WARNING_SCHEMA, "agency": pl.String, "year": pl.Int32}
    return YearTables(
        year=year,
        documents=choose_documents(pl.DataFrame(rows, schema=DOCUMENT_SCHEMA)),
        cells=pl.concat(cell_frames) if cell_frames else pl.DataFrame(schema=cell_schema),
        warnings=pl.concat(warning_frames) if warning_frames else pl.DataFrame(schema=warning_schema),
        rejected=pl.DataFrame(rejected, schema=REJECTED_SCHEMA),
    )


def choose_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """One document per agency-year: most cells read, then fewest warnings, then largest file.

    The others stay as 'superseded' versions of the same report.
    """
    ranked = documents.sort(
        ["agency", "year", "cells_read", "warnings", "size_bytes", "document_id"],
        descending=[False, False, True, False, True, False],
    )
    first = pl.col("document_id").first().over(["agency", "year"]) == pl.col("document_id")
    return ranked.with_columns(pl.when(first).then(pl.lit("loaded")).otherwise(pl.lit("superseded")).alias("status"))
