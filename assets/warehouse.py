import os
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from assets.identity_checks import check_results, check_specs, table_md
from assets.partitions import year_partitions
from assets.quality import CheckedFacts
from warehouse.archive import archive_documents
from warehouse.loader import (
    YearBatch,
    ensure_schema,
    load_rejections,
    load_years,
)
from warehouse.statements import run
from warehouse.writer import open_writer
from xxgk.code_version import code_version
from xxgk.extract.year import REJECTED_SCHEMA
from xxgk.normalise import NormalisedStore
from xxgk.staging import remote_filesystems

# DuckDB allows one writing process: every asset that writes the file is in this pool,
# whose limit (dagster.yaml) is 1.
WRITER_POOL = "duckdb_writer"


_ENSURED: set[tuple] = set()


def _ensure_schema(con, database: str) -> None:
    """ensure_schema, once per warehouse file and process: a run's second write to the file it
    made the schema of (the rejections, then the year) does not run every DDL statement again."""
    try:
        st = Path(database).expanduser().stat()
        key = (str(Path(database).expanduser().resolve()), st.st_dev, st.st_ino)
    except OSError:
        key = None
    if key is None or key not in _ENSURED:
        ensure_schema(con)
        if key is not None:
            _ENSURED.add(key)


@contextmanager
def _writer(duckdb: DuckDBResource, parts: list[str] | None = None):
    # not duckdb.get_connection(): it leaves the connection open when the load fails, retries
    # a read-only folder for ~100 s, and publishes nothing for readers (warehouse/writer.py)
    with open_writer(duckdb.database) as con:
        for fs in remote_filesystems(parts or []):  # staging on s3://…: DuckDB reads the parts through fsspec
            con.register_filesystem(fs)
        yield con


# A multi-asset of one, so that its outputs are optional (can_subset): a year of which the
# warehouse holds no report after the load (its documents all rejected) is not materialized --
# the UI does not show it green -- and a check with nothing to check gives no result (skipped).
@multi_asset(
    specs=[AssetSpec(
        "warehouse_facts",
        group_name="warehouse",
        kinds={"duckdb"},
        deps=["checked_facts"],  # (its input: a multi-asset's spec names it too)
        description="The year's documents added to the DuckDB star schema, each agency-year's report chosen again among "
                    "every version the warehouse knows (one transaction); their bytes kept in the archive. Not "
                    "materialized for a year of which the warehouse holds no report.",
    )],
    partitions_def=year_partitions,
    code_version=code_version("warehouse", "expectations", "assets", "xxgk"),
    pool=WRITER_POOL,
    # over every year loaded, not per partition: see assets/identity_checks.py
    check_specs=check_specs("warehouse_facts"),
    can_subset=True,
)
def warehouse_facts(context: AssetExecutionContext, checked_facts: CheckedFacts, duckdb: DuckDBResource):
    tables = checked_facts.tables
    year = int(context.partition_key)
    documents = tables.documents.join(checked_facts.quality.select("document_id", "quality_status"), on="document_id", how="left")
    keys = archive_documents(archive_folder(duckdb), documents.select("document_id", "source_file", "duplicate_files").to_dicts())
    gone = [d for d, k in keys.items() if k is None]
    if gone:
        context.log.warning(f"{len(gone)} document(s) not archived: their files changed or went since they were read ({gone[:5]})")
    batch = YearBatch(
        years=[year],
        documents=documents.with_columns(archive_key=pl.col("document_id").replace_strict(keys, return_dtype=pl.String)),
        cells=tables.cells_source,  # every version's cells: the warehouse chooses among all it knows
        warnings=tables.warnings,
        violations=checked_facts.version_violations,
        rejected=tables.rejected,
        statements=tables.statements,
    )
    from expectations.gates import validate_year_carry

    gates = []

    def check_carry(cells: pl.DataFrame) -> pl.DataFrame:
        # across years, so against what the warehouse holds: this year with the one before,
        # and the year after (if loaded) with this one
        gates.append(validate_year_carry(cells))
        return gates[-1].violations

    skipped: dict[str, str] = {}
    with _writer(duckdb, tables.cells_source if isinstance(tables.cells_source, list) else None) as con:
        _ensure_schema(con, duckdb.database)
        counts = load_years(con, batch, check_carry=check_carry)
        checks = check_results(con, skipped)
        reports = run(con, "report/count", [year]).fetchone()[0]
    if not reports:
        context.log.warning(f"the warehouse holds no report of {year} ({tables.rejected.height} rejected in this run): "
                            f"{year} is not materialized and its checks are skipped")
        return
    for name, why in skipped.items():
        context.log.info(f"check {name} skipped: nothing to check ({why})")
    yield MaterializeResult(
        asset_key="warehouse_facts",
        # text, not numbers: Dagster would plot numbers of a partitioned asset as one series across years
        metadata={
            **({"checks skipped": "; ".join(f"{k}: {v}" for k, v in skipped.items())} if skipped else {}),
            "loaded": MetadataValue.md(table_md(pl.DataFrame({"table": list(counts), "rows": list(counts.values())}))),
            "XY_CARRY pairs checked in this load": str(gates[-1].checked if gates else 0),
            "archived": f"{len(keys) - len(gone)} of {len(keys)} in {archive_folder(duckdb)}",
            "reports loaded": MetadataValue.md(table_md(tables.chosen().select("agency", "document_id").sort("agency"))),
        }
    )
    yield from checks


@asset(
    group_name="warehouse",
    kinds={"duckdb"},
    pool=WRITER_POOL,
    code_version=code_version("warehouse", "assets", "xxgk"),
    description="Files that could not be read or are not reports, with the reason (table rejected_document).",
)
def rejected_documents(context: AssetExecutionContext, normalised_documents: NormalisedStore, duckdb: DuckDBResource) -> MaterializeResult:
    rejected = pl.DataFrame(normalised_documents.rejected, schema=REJECTED_SCHEMA)
    # none to record in a warehouse that exists: nothing to write, and no writer opened (which would
    # publish a copy of the whole file), unless its folder cannot be written: that is said here, first
    database = Path(duckdb.database).expanduser()
    if rejected.height or not database.exists() or not os.access(database.parent, os.W_OK):
        with _writer(duckdb) as con:
            _ensure_schema(con, duckdb.database)
            load_rejections(con, rejected)
    return MaterializeResult(
        metadata={
            "rejected": rejected.height,
            "reasons": MetadataValue.md(
                "\n".join(f"- `{r['source_file']}`: {r['reason']}" for r in rejected.iter_rows(named=True)) or "none"
            ),
        }
    )


def archive_folder(duckdb: DuckDBResource) -> Path:
    """The archive the warehouse resource names; beside the DuckDB file for a plain DuckDBResource."""
    return getattr(duckdb, "archive_folder", None) or Path(duckdb.database).parent / "archive"
