"""Bulk loads of Polars frames into the DuckDB star schema.

Every load is one transaction that replaces a whole slice (the years being
loaded, or the rejected documents of a stage): loading the same documents twice
leaves the same rows, and a load that dies half-way leaves the slice as it was.
No Dagster here: the assets hand in a connection.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from warehouse.agency import migrate_agency_keys, register_agencies
from warehouse.dimensions import label_frames
from warehouse.statements import ddl_files, registered, run, transaction
from xxgk.extract.year import DIFFERENCE_SCHEMA
from xxgk.vocabulary import applicant_types, categories



@dataclass
class YearBatch:
    """Everything the warehouse holds about the reports of some statistics years."""

    years: list[int]
    documents: pl.DataFrame  # document_id, source_file, duplicate_files, format, size_bytes, pages, agency, year,
    # format_version, status, reader, reader_check
    reports: pl.DataFrame  # agency, year, document_id, format_version, cells, cells_read, warnings, versions, quality_status
    # document_id, agency, year, table_name, category_code, applicant_type, measure, value, printed, cell_status,
    # location, provenance, confidence: a frame, or the Parquet part files that hold them (DuckDB reads those itself)
    cells: pl.DataFrame | list[str]
    warnings: pl.DataFrame  # document_id, agency, year, table_name, category_code, kind, message, printed, location
    violations: pl.DataFrame  # agency, year, identity, scope, expected, printed, cells, document_id
    rejected: pl.DataFrame  # document_id, source_file, stage, year, reason
    differences: pl.DataFrame | None = None  # agency, year, document_id, loaded_document_id, category_code, ... (DIFFERENCE_SCHEMA)


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return quiet(duckdb.connect(str(path), read_only=read_only))


# DuckDB keeps what it reads cached up to its memory limit, 80% of the machine by default: a
# load shares the machine with the workers, so it spills to disk beyond this instead.
MEMORY_LIMIT = "512MB"


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar (DuckDB draws one on stdout for queries over 2 s, whatever stdout is),
    and a bounded memory."""
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, macros and views (sql/ddl/), and (re)seed the vocabulary dimensions."""
    cats = pl.DataFrame(
        [
            {
                "category_code": c.code,
                "section": c.section,
                "table_name": {2: "art20", 3: "applications", 4: "review_litigation"}[c.section],
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


def load_years(con: duckdb.DuckDBPyConnection, batch: YearBatch, check_carry=None) -> dict[str, int]:
    """Replace everything about `batch.years` in one transaction; other years are untouched.

    ``check_carry`` (cells -> XY_CARRY violations) is given the carry-over rows of the years
    around, as the transaction sees them once the facts are in; its findings for each loaded
    year and the year after replace the earlier ones, in the same transaction, so a load
    that dies leaves facts and their findings as they were, together.
    """
    years = pl.DataFrame({"year": batch.years}, schema={"year": pl.Int32})
    documents, reports, cells = batch.documents, batch.reports, batch.cells
    warnings, violations, rejected = batch.warnings, batch.violations, batch.rejected
    differences = batch.differences if batch.differences is not None else pl.DataFrame(schema=DIFFERENCE_SCHEMA)
    # Frames are registered by name, not found by DuckDB's scan of the caller's variables.
    frames = {"years": years, "documents": documents, "reports": reports,
              "warnings": warnings, "violations": violations, "rejected": rejected, "differences": differences}
    if isinstance(cells, pl.DataFrame):
        frames["cells"] = cells
    with transaction(con), registered(con, **frames):
        if not isinstance(cells, pl.DataFrame):
            # DuckDB's own Parquet reader, streaming: the year's cells are never all in memory
            con.execute(f"CREATE OR REPLACE TEMP VIEW cells AS SELECT * FROM {_parquet_source(cells)}")
        for table in (
            "fact_report",
            "fact_active_disclosure",
            "fact_application",
            "fact_review_litigation",
            "fact_extraction_warning",
            "fact_identity_violation",
            "fact_version_difference",
        ):
            con.execute(f"DELETE FROM {table} WHERE year IN (SELECT year FROM years)")
        con.execute("DELETE FROM dim_document WHERE year IN (SELECT year FROM years)")
        con.execute("DELETE FROM rejected_document WHERE stage = 'extraction' AND year IN (SELECT year FROM years)")
        # a document that was rejected earlier and now loads (a fixed reader) is no longer rejected
        con.execute("DELETE FROM rejected_document WHERE document_id IN (SELECT document_id FROM documents)")
        con.execute("DELETE FROM dim_document WHERE document_id IN (SELECT document_id FROM documents)")

        con.execute(
            """INSERT INTO dim_year
                SELECT DISTINCT year, CASE WHEN year <= 2020 THEN '2019' ELSE '2021' END FROM years
                WHERE year NOT IN (SELECT year FROM dim_year)"""
        )
        register_agencies(con, {n for f in (documents, reports, warnings, violations, differences) for n in f["agency"]})
        con.execute(
            f"""INSERT INTO dim_document (document_id, source_file, duplicate_files, format, size_bytes, pages,
                                          agency_id, year, format_version, status, reader, reader_check, agency_name)
                SELECT document_id, source_file, duplicate_files, format, size_bytes, pages,
                       agency_key(agency), year, format_version, status, reader, reader_check, agency
                FROM documents ORDER BY document_id"""
        )
        con.execute(
            f"""INSERT INTO fact_report
                SELECT agency_key(agency), year, document_id, format_version,
                       cells, cells_read, warnings, versions, quality_status
                FROM reports ORDER BY agency, year"""
        )
        # Facts: only the cells of the document chosen for each agency-year; a view, so that each
        # fact table streams its rows from the cells (Parquet) rather than from a copy of the year
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW chosen_cells AS
                SELECT agency_key(c.agency) AS agency_id, c.*
                FROM cells c JOIN reports r USING (document_id)"""
        )
        con.execute(
            """INSERT INTO fact_active_disclosure
               SELECT agency_id, year, category_code, measure, value, printed, cell_status, document_id, location,
                      provenance, confidence
               FROM chosen_cells WHERE table_name = 'art20' ORDER BY agency_id, year, category_code, measure"""
        )
        con.execute(
            """INSERT INTO fact_application
               SELECT agency_id, year, category_code, applicant_type, value, printed, cell_status, document_id, location,
                      provenance, confidence
               FROM chosen_cells WHERE table_name = 'applications'
               ORDER BY agency_id, year, category_code, applicant_type"""
        )
        con.execute(
            """INSERT INTO fact_review_litigation
               SELECT agency_id, year, category_code, value, printed, cell_status, document_id, location,
                      provenance, confidence
               FROM chosen_cells WHERE table_name = 'review_litigation' ORDER BY agency_id, year, category_code"""
        )
        con.execute("DROP VIEW chosen_cells")
        if not isinstance(cells, pl.DataFrame):
            con.execute("DROP VIEW cells")
        con.execute(
            f"""INSERT INTO fact_extraction_warning
                SELECT document_id, agency_key(agency), year, table_name, category_code,
                       kind, message, printed, location
                FROM warnings ORDER BY document_id, location, kind"""
        )
        unresolved = run(con, "agency/unresolved_warnings").fetchone()[0]
        con.execute(
            f"""INSERT INTO fact_identity_violation
                SELECT agency_key(agency), year, identity, scope, expected, printed, cells, document_id
                FROM violations ORDER BY agency, year, identity, scope"""
        )
        con.execute(
            """INSERT INTO rejected_document
               SELECT document_id, source_file, stage, year, reason FROM rejected ORDER BY source_file"""
        )
        con.execute(
            f"""INSERT INTO fact_version_difference
                SELECT agency_key(agency), year, document_id, loaded_document_id, category_code,
                       applicant_type, measure, value, printed, loaded_value, loaded_printed
                FROM differences ORDER BY ALL"""
        )
        counts = {
            "documents": documents.height,
            "reports": reports.height,
            "cells": con.execute(
                "SELECT (SELECT count(*) FROM fact_active_disclosure WHERE year IN (SELECT year FROM years))"
                " + (SELECT count(*) FROM fact_application WHERE year IN (SELECT year FROM years))"
                " + (SELECT count(*) FROM fact_review_litigation WHERE year IN (SELECT year FROM years))"
            ).fetchone()[0],
            "warnings": warnings.height + unresolved,
            "violations": violations.height,
        }
        if check_carry is not None:
            first, last = min(batch.years), max(batch.years)
            carry = check_carry(con.execute(CARRY_CELLS_SQL, [first - 1, last + 1]).pl())
            _write_carry_violations(con, sorted(set(batch.years) | {y + 1 for y in batch.years}), carry)
            counts["carry_violations"] = carry.height
    return counts


def _parquet_source(paths: list[str]) -> str:
    from xxgk.extract.year import CELLS_SCHEMA

    if not paths:
        columns = ", ".join(f"CAST(NULL AS {_DUCKDB_TYPES[t]}) AS {c}" for c, t in CELLS_SCHEMA.items())
        return f"(SELECT {columns} WHERE false)"
    return "read_parquet([" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "])"


_DUCKDB_TYPES = {pl.String: "VARCHAR", pl.Float64: "DOUBLE", pl.Int32: "INTEGER"}


def load_rejections(con: duckdb.DuckDBPyConnection, rejected: pl.DataFrame, stages: list[str]) -> int:
    """Replace the rejected documents of early stages (those that never got a year)."""
    with transaction(con), registered(con, stage_list=pl.DataFrame({"stage": stages}), rejected=rejected):
        con.execute("DELETE FROM rejected_document WHERE stage IN (SELECT stage FROM stage_list)")
        con.execute("INSERT INTO rejected_document SELECT document_id, source_file, stage, year, reason FROM rejected ORDER BY source_file")
    return rejected.height


CARRY_CELLS_SQL = """
SELECT f.document_id, a.agency_name AS agency, f.year, d.format_version, 'applications' AS table_name,
       f.category_code, f.applicant_type, 'count' AS measure, f.value, f.printed, f.cell_status, f.location
FROM fact_application f
JOIN dim_agency a USING (agency_id)
JOIN dim_document d USING (document_id)
WHERE f.year BETWEEN ? AND ?
  AND f.category_code IN ('application.carried_over', 'application.carried_forward')
"""


def carry_cells(con: duckdb.DuckDBPyConnection, year: int) -> pl.DataFrame:
    """The carry-over rows of the years around `year`, for the XY_CARRY identity."""
    return con.execute(CARRY_CELLS_SQL, [year - 1, year + 1]).pl()


def replace_carry_violations(con: duckdb.DuckDBPyConnection, years: list[int], violations: pl.DataFrame) -> None:
    """XY_CARRY findings belong to the later year of each pair; replace those of `years`, in one transaction."""
    with transaction(con):
        _write_carry_violations(con, years, violations)


def _write_carry_violations(con: duckdb.DuckDBPyConnection, years: list[int], violations: pl.DataFrame) -> None:
    with registered(con, carry_years=pl.DataFrame({"year": years}, schema={"year": pl.Int32}), carry_violations=violations):
        con.execute("DELETE FROM fact_identity_violation WHERE identity = 'XY_CARRY' AND year IN (SELECT year FROM carry_years)")
        con.execute(
            f"""INSERT INTO fact_identity_violation
                SELECT agency_key(agency), year, identity, scope, expected, printed, cells, document_id
                FROM carry_violations WHERE year IN (SELECT year FROM carry_years) ORDER BY agency, year, scope"""
        )
