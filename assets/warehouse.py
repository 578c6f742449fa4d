from contextlib import contextmanager

import polars as pl
from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from xxgk.normalise import NormalisedStore
from assets.partitions import year_partitions
from assets.identity_checks import check_results, check_specs, table_md
from assets.quality import CheckedFacts
from warehouse.loader import (
    YearBatch,
    ensure_schema,
    load_rejections,
    load_years,
)
from warehouse.writer import open_writer
from xxgk.extract.year import REJECTED_SCHEMA
from xxgk.staging import remote_filesystems

# DuckDB allows one writing process: every asset that writes the file is in this pool,
# whose limit (dagster.yaml) is 1.
WRITER_POOL = "duckdb_writer"


@contextmanager
def _writer(duckdb: DuckDBResource, parts: list[str] | None = None):
    # not duckdb.get_connection(): it leaves the connection open when the load fails, retries
    # a read-only folder for ~100 s, and publishes nothing for readers (warehouse/writer.py)
    with open_writer(duckdb.database) as con:
        for fs in remote_filesystems(parts or []):  # staging on s3://…: DuckDB reads the parts through fsspec
            con.register_filesystem(fs)
        yield con


@asset(
    group_name="xxgk",
    partitions_def=year_partitions,
    pool=WRITER_POOL,
    # over every year loaded, not per partition: see assets/identity_checks.py
    check_specs=check_specs("warehouse_facts"),
    description="The year's checked facts in the DuckDB star schema (replaces that year only, in one transaction).",
)
def warehouse_facts(context: AssetExecutionContext, checked_facts: CheckedFacts, duckdb: DuckDBResource) -> MaterializeResult:
    tables = checked_facts.tables
    year = int(context.partition_key)
    versions = tables.documents.group_by("agency", "year").len("versions")
    reports = (
        tables.chosen()
        .join(versions, on=["agency", "year"])
        .join(checked_facts.quality.select("document_id", "quality_status"), on="document_id", how="left")
        .select("agency", "year", "document_id", "format_version", "cells", "cells_read", "warnings", "versions", "quality_status")
    )
    batch = YearBatch(
        years=[year],
        documents=tables.documents.select("document_id", "source_file", "duplicate_files", "format", "size_bytes", "pages",
                                          "agency", "year", "format_version", "status", "reader", "reader_check"),
        reports=reports,
        cells=tables.cells_source,  # the loader keeps the chosen documents' cells
        warnings=tables.warnings,
        violations=checked_facts.violations,
        rejected=tables.rejected,
        differences=tables.differences,
    )
    from expectations.gates import validate_year_carry

    gates = []

    def check_carry(cells: pl.DataFrame) -> pl.DataFrame:
        # across years, so against what the warehouse holds: this year with the one before,
        # and the year after (if loaded) with this one
        gates.append(validate_year_carry(cells))
        return gates[-1].violations

    with _writer(duckdb, tables.cells_source if isinstance(tables.cells_source, list) else None) as con:
        ensure_schema(con)
        counts = load_years(con, batch, check_carry=check_carry)
        checks = check_results(con)
    return MaterializeResult(
        check_results=checks,
        # text, not numbers: Dagster would plot numbers of a partitioned asset as one series across years
        metadata={
            "loaded": MetadataValue.md(table_md(pl.DataFrame({"table": list(counts), "rows": list(counts.values())}))),
            "XY_CARRY pairs checked in this load": str(gates[-1].checked if gates else 0),
            "reports loaded": MetadataValue.md(table_md(reports.select("agency", "quality_status").sort("agency"))),
        }
    )


@asset(
    group_name="xxgk",
    pool=WRITER_POOL,
    description="Files that could not be read or are not reports, with the reason (table rejected_document).",
)
def rejected_documents(context: AssetExecutionContext, normalised_documents: NormalisedStore, duckdb: DuckDBResource) -> MaterializeResult:
    rejected = pl.DataFrame(normalised_documents.rejected, schema=REJECTED_SCHEMA)
    with _writer(duckdb) as con:
        ensure_schema(con)
        load_rejections(con, rejected, ["ingestion", "normalisation"])
    return MaterializeResult(
        metadata={
            "rejected": rejected.height,
            "reasons": MetadataValue.md(
                "\n".join(f"- `{r['source_file']}`: {r['reason']}" for r in rejected.iter_rows(named=True)) or "none"
            ),
        }
    )
