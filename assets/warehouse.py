from contextlib import contextmanager

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from xxgk.normalise import NormalisedStore
from assets.partitions import year_partitions
from assets.quality import CheckedFacts, table_md
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
    check_specs=[AssetCheckSpec("XY_CARRY", asset="warehouse_facts", partitions_def=year_partitions,
                                description="carried over this year = carried forward last year, same agency (and next year's against this one)")],
    description="The year's checked facts in the DuckDB star schema (replaces that year only, in one transaction).",
)
def warehouse_facts(context: AssetExecutionContext, checked_facts: CheckedFacts, duckdb: DuckDBResource) -> MaterializeResult:
    tables = checked_facts.tables
    year = int(context.partition_key)
    if tables.documents.is_empty() and tables.rejected.is_empty():
        # an inbox without reports of this year says nothing about them: keep what the warehouse has
        context.log.warning(f"no reports of {year} in the inbox: the warehouse keeps its rows for {year} as they are")
        return MaterializeResult(metadata={"loaded": False, "reason": f"no reports of {year} in the inbox"},
                                 check_results=[AssetCheckResult(check_name="XY_CARRY", passed=True,
                                                                 metadata={"pairs checked": 0})])
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
    carry = gates[-1]
    broken = carry.violations.filter(pl.col("year").is_in([year, year + 1]))
    return MaterializeResult(
        check_results=[
            AssetCheckResult(
                check_name="XY_CARRY",
                passed=broken.is_empty(),
                severity=AssetCheckSeverity.WARN,
                metadata={"pairs checked": carry.checked, "violations": broken.height,
                          "detail": MetadataValue.md(table_md(broken.select("agency", "year", "scope", "expected", "printed")))},
            )
        ],
        metadata={
            **{k: MetadataValue.int(v) for k, v in counts.items()},
            "reports loaded": MetadataValue.md(
                "\n".join(f"- {r['agency']} {r['year']} ({r['quality_status']})" for r in reports.iter_rows(named=True)) or "none"
            ),
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
