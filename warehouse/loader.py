"""Bulk loads of Polars frames into the DuckDB star schema, which accumulates documents.

A year's load adds its documents beside those the warehouse holds (the same bytes again
replace their earlier reading), then chooses again, among every known version, the document
of each agency-year it touched, and rebuilds those agency-years' facts, findings and version
differences. Nothing is deleted but by :func:`retract` (taken back by :func:`undo_retraction`:
the next load that meets the file loads it again). Every load is one transaction: loading
the same documents twice leaves the same rows, and a load that dies half-way leaves the
warehouse as it was. The SQL is in sql/; no Dagster here: the assets hand in a connection.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from warehouse.agency import migrate_agency_keys, register_agencies
from warehouse.dimensions import label_frames
from warehouse.statements import ddl_files, registered, run, transaction
from xxgk.choice import DIFFERENCE_SCHEMA, choose_documents, version_differences
from xxgk.extract.cells import STATEMENT_SCHEMA
from xxgk.extract.year import CELLS_SCHEMA
from xxgk.vocabulary import applicant_types, categories, table_of

# What the warehouse keeps of each document: the ranking inputs of the choice with it, so that
# a later load can choose among all versions without their cells.
DOCUMENT_COLUMNS = {
    "document_id": pl.String, "source_file": pl.String, "duplicate_files": pl.String, "format": pl.String,
    "size_bytes": pl.Int64, "pages": pl.Int32, "agency": pl.String, "year": pl.Int32, "format_version": pl.String,
    "reader": pl.String, "reader_check": pl.String, "archive_key": pl.String, "cells": pl.Int32,
    "cells_read": pl.Int32, "warnings": pl.Int32, "violations": pl.Int32, "quality_status": pl.String,
}
# cells -> XY_CARRY violations (expectations.gates.validate_year_carry), run inside the transaction
CarryCheck = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass
class YearBatch:
    """What one load brings: documents of some statistics years, with their cells and findings."""

    years: list[int]
    documents: pl.DataFrame  # DOCUMENT_COLUMNS (archive_key, violations, quality_status may be missing: null)
    # document_id, agency, year, table_name, category_code, applicant_type, measure, value, printed, cell_status,
    # location, provenance, confidence: a frame, or the Parquet part files that hold them (DuckDB reads those itself)
    cells: pl.DataFrame | list[str]
    warnings: pl.DataFrame  # document_id, agency, year, table_name, category_code, kind, message, printed, location
    violations: pl.DataFrame  # of every document, chosen or not: agency, year, identity, scope, expected, printed, cells, document_id
    rejected: pl.DataFrame  # document_id, source_file, stage, year, reason
    # what each document states in prose, against its tables (xxgk.extract.cells.STATEMENT_SCHEMA); none if not given
    statements: pl.DataFrame | None = None


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return quiet(duckdb.connect(str(path), read_only=read_only))


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    run(con, "session")
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, macros and views (sql/ddl/), and (re)seed the vocabulary dimensions."""
    cats = pl.DataFrame(
        [
            {
                "category_code": c.code,
                "section": c.section,
                "table_name": table_of(c.code),
                "parent_code": c.parent_code,
                "label_2021": c.label_2021,
                "label_2019": c.label_2019,
                "measures_2021": ",".join(c.measures_2021) or None,
                "measures_2019": ",".join(c.measures_2019) or None,
            }
            for c in categories().values()
        ]
    )
    types = pl.DataFrame(applicant_types()).rename({"group": "applicant_group"})
    types = types.with_columns(pl.col("applicant_group").replace("", None))
    with transaction(con), registered(con, cats=cats, types=types, **label_frames()):
        for name in ddl_files():
            run(con, name)
        run(con, "seed/vocabulary")
        run(con, "seed/labels")  # group rows of dim_category; labels of categories, measures, identities
        migrate_agency_keys(con)  # warehouses whose agencies were keyed by their printed name


def load_years(con: duckdb.DuckDBPyConnection, batch: YearBatch, check_carry: CarryCheck | None = None) -> dict[str, int]:
    """Add the batch's documents, choose again where they land, in one transaction.

    ``check_carry`` is given the carry-over rows of the years around, as the transaction sees
    them once the facts are in; its findings for each touched year and the year after replace
    the earlier ones, in the same transaction, so facts and their findings change together.
    """
    documents = _document_frame(batch.documents)
    statements = batch.statements if batch.statements is not None else pl.DataFrame(schema=STATEMENT_SCHEMA)
    # a year's Parquet parts are read by DuckDB itself, streaming: its cells are never all in memory
    cells = batch.cells if isinstance(batch.cells, pl.DataFrame) else (
        con.read_parquet(batch.cells) if batch.cells else pl.DataFrame(schema=CELLS_SCHEMA))
    with transaction(con), registered(con, documents=documents, cells=cells, warnings=batch.warnings,
                                      violations=batch.violations, rejected=batch.rejected, statements=statements):
        # every name a report used becomes an alias of one canonical agency, before any row needs its key
        register_agencies(con, {n for f in (documents, batch.warnings, batch.violations) for n in f["agency"]})
        run(con, "load/stage")
        run(con, "agency/unresolved_warnings")
        run(con, "load/rejections")
        counts = {"documents": documents.height, **_choose_again(con, batch.years, check_carry)}
    return counts


def retract(con: duckdb.DuckDBPyConnection, document_id: str, by: str, reason: str,
            check_carry: CarryCheck | None = None) -> dict[str, int]:
    """Remove a loaded document, recorded in `retraction` (who, when, why); its agency-year is
    chosen again among the documents left, in one transaction."""
    target = pl.DataFrame({"document_id": [document_id], "retracted_by": [by], "reason": [reason]})
    with transaction(con), registered(con, target=target):
        run(con, "retract/record")
        return _choose_again(con, [], check_carry)


def undo_retraction(con: duckdb.DuckDBPyConnection, document_id: str, by: str, reason: str) -> int:
    """Take back the retraction in force of a document, recorded beside it (who, when, why):
    the next load that meets its file loads it again. Returns the retractions taken back (0 or 1)."""
    target = pl.DataFrame({"document_id": [document_id], "undone_by": [by], "reason": [reason]})
    with transaction(con), registered(con, target=target):
        before = run(con, "retract/in_force", [document_id]).fetchone()[0]
        run(con, "retract/undo")
    return before


def find_documents(con: duckdb.DuckDBPyConnection, document_id: str, paths: list[str]) -> list[dict]:
    """The documents named by an id or by any of `paths` as loaded (their own or a duplicate's)."""
    return run(con, "retract/find", [document_id, paths]).pl().to_dicts()


def _choose_again(con: duckdb.DuckDBPyConnection, years: list[int], check_carry: CarryCheck | None) -> dict[str, int]:
    """The choice of the touched agency-years (temp table `touched`) among all their known
    documents, by xxgk's one rule; their facts, findings and version differences rebuilt."""
    choice = choose_documents(run(con, "load/candidates").pl())
    several = choice.filter(pl.len().over("agency", "year") > 1)
    with registered(con, involved=several.select("document_id")):
        cells = run(con, "load/version_cells").pl()
    differences = version_differences(several, cells.lazy()) if several.height else pl.DataFrame(schema=DIFFERENCE_SCHEMA)
    with registered(con, choice=choice.select("document_id", "status"), differences=differences):
        run(con, "load/choice")
    counts = run(con, "load/counts").pl().row(0, named=True)
    touched = [y for (y,) in run(con, "load/touched_years").fetchall()]
    if check_carry is not None and (touched or years):
        carry_years = sorted({*touched, *years} | {y + 1 for y in {*touched, *years}})
        carry = check_carry(run(con, "carry/cells", [carry_years[0] - 1, carry_years[-1]]).pl())
        _write_carry_violations(con, carry_years, carry)
        counts["carry_violations"] = carry.height
    return counts


def _document_frame(documents: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in DOCUMENT_COLUMNS.items() if c not in documents.columns]
    return documents.with_columns(missing).select(list(DOCUMENT_COLUMNS)).cast(DOCUMENT_COLUMNS).with_columns(
        pl.col("violations").fill_null(0))


def load_rejections(con: duckdb.DuckDBPyConnection, rejected: pl.DataFrame) -> int:
    """Record the rejected documents of the early stages (those that never got a year); earlier
    verdicts on other files stay."""
    with transaction(con), registered(con, rejected=rejected):
        run(con, "load/stages")
        run(con, "load/rejections")
    return rejected.height


def _write_carry_violations(con: duckdb.DuckDBPyConnection, years: list[int], violations: pl.DataFrame) -> None:
    with registered(con, carry_years=pl.DataFrame({"year": years}, schema={"year": pl.Int32}), carry_violations=violations):
        run(con, "carry/replace")
