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
DIFFERENCE_SCHEMA = {
    "agency": pl.String, "year": pl.Int32, "document_id": pl.String, "loaded_document_id": pl.String,
    "category_code": pl.String, "applicant_type": pl.String, "measure": pl.String,
    "value": pl.Float64, "printed": pl.String, "loaded_value": pl.Float64, "loaded_printed": pl.String,
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
    differences: pl.DataFrame  # cells where a superseded version disagrees with the loaded one (DIFFERENCE_SCHEMA)

    def rechoose(self, violations_per_document: pl.DataFrame) -> "YearTables":
        """Choose again, now that the identity gates know which versions add up."""
        ranked = self.documents.drop("violations", strict=False).join(
            violations_per_document.select("document_id", pl.col("violations").cast(pl.Int32)), on="document_id", how="left"
        )
        documents = choose_documents(ranked.with_columns(pl.col("violations").fill_null(0)))
        return YearTables(self.year, documents, self.cells, self.warnings, self.rejected,
                          version_differences(documents, self.cells))

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
    documents = choose_documents(pl.DataFrame(rows, schema=DOCUMENT_SCHEMA))
    cells = pl.concat(cell_frames) if cell_frames else pl.DataFrame(schema=cell_schema)
    warning_schema = {**WARNING_SCHEMA, "agency": pl.String, "year": pl.Int32}
    return YearTables(
        year=year,
        documents=documents,
        cells=cells,
        warnings=pl.concat(warning_frames) if warning_frames else pl.DataFrame(schema=warning_schema),
        rejected=pl.DataFrame(rejected, schema=REJECTED_SCHEMA),
        differences=version_differences(documents, cells),
    )


def choose_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """One document per agency-year: most cells read, then fewest identity violations (when
    known), then fewest warnings, then the largest file, then the document id (so the choice
    never depends on the order files were read).

    The others stay as 'superseded' versions of the same report.
    """
    if "violations" not in documents.columns:
        documents = documents.with_columns(pl.lit(0, dtype=pl.Int32).alias("violations"))
    ranked = documents.sort(
        ["agency", "year", "cells_read", "violations", "warnings", "size_bytes", "document_id"],
        descending=[False, False, True, False, False, True, False],
    )
    first = pl.col("document_id").first().over(["agency", "year"]) == pl.col("document_id")
    return ranked.with_columns(pl.when(first).then(pl.lit("loaded")).otherwise(pl.lit("superseded")).alias("status"))


def version_differences(documents: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """Every cell where a superseded version of a report disagrees with the loaded version.

    A cell printed in one version and absent from the other counts as a difference too.
    """
    key = ["category_code", "applicant_type", "measure"]
    loaded = documents.filter(pl.col("status") == "loaded").select("agency", "year", pl.col("document_id").alias("loaded_document_id"))
    others = documents.filter(pl.col("status") == "superseded").select("agency", "year", "document_id")
    if others.is_empty():
        return pl.DataFrame(schema=DIFFERENCE_SCHEMA)
    pairs = others.join(loaded, on=["agency", "year"])
    mine = pairs.join(cells.select("document_id", *key, "value", "printed"), on="document_id")
    theirs = cells.select(pl.col("document_id").alias("loaded_document_id"), *key,
                          pl.col("value").alias("loaded_value"), pl.col("printed").alias("loaded_printed"))
    both = mine.join(theirs, on=["loaded_document_id", *key], how="full", nulls_equal=True, coalesce=True)
    # cells only in the loaded version: give them the pair they belong to
    both = both.drop("document_id", "agency", "year").join(pairs, on="loaded_document_id")
    differ = (pl.col("value").is_null() != pl.col("loaded_value").is_null()) | (pl.col("value") != pl.col("loaded_value"))
    return both.filter(differ.fill_null(True)).select(DIFFERENCE_SCHEMA.keys()).cast(DIFFERENCE_SCHEMA).sort(
        "agency", "year", "document_id", *key, nulls_last=True)
