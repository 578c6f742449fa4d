"""Quality gates: the accounting identities, run with Great Expectations inside the graph.

A report that breaks an identity is still loaded (its printed numbers are facts
about the report); the violations travel with it into the warehouse. Only a
structural fault of our own extraction blocks the load of the year.
"""
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
    asset_check,
)
from dagster_duckdb import DuckDBResource

from assets.extraction import report_tables
from assets.identity_checks import table_md
from assets.partitions import year_partitions
from assets.resources import DataDocsResource
from xxgk.code_version import code_version
from xxgk.extract.year import CELLS_SCHEMA, YearTables
from xxgk.vocabulary import APPLICANT_COLUMNS, categories

CELL_STATUSES = ("read", "converted", "implausible", "null_mark", "blank", "not_placed", "not_read", "inferred", "derived", "segmented")


@dataclass
class CheckedFacts:
    tables: YearTables
    violations: pl.DataFrame  # of the chosen reports: agency, year, identity, scope, expected, printed, cells, document_id
    version_violations: pl.DataFrame  # the same of every version: the warehouse chooses among all it knows
    incomplete: pl.DataFrame  # identity instances that could not be evaluated, and why
    quality: pl.DataFrame  # document_id, identities_checked, violations, incomplete, quality_status
    data_docs: str | None


def structural_problems(cells: pl.DataFrame) -> list[str]:
    """Faults of our own extraction, not of the report: these block the load."""
    problems = []
    key = ["document_id", "category_code", "applicant_type", "measure"]
    dupes = cells.group_by(key).len().filter(pl.col("len") > 1)
    if dupes.height:
        problems.append(f"{dupes.height} cells extracted twice, e.g. {dupes.row(0)}")
    unknown = set(cells["category_code"].unique()) - set(categories())
    if unknown:
        problems.append(f"category codes not in categories.csv: {sorted(unknown)}")
    bad_types = set(cells["applicant_type"].drop_nulls().unique()) - set(APPLICANT_COLUMNS)
    if bad_types:
        problems.append(f"applicant types not in applicant_types.csv: {sorted(bad_types)}")
    bad_status = set(cells["cell_status"].unique()) - set(CELL_STATUSES)
    if bad_status:
        problems.append(f"unknown cell statuses: {sorted(bad_status)}")
    lost = cells.filter(pl.col("cell_status").is_in(["read", "converted"]) & pl.col("value").is_null()).height
    if lost:
        problems.append(f"{lost} cells read as numbers but without a value")
    return problems


# Identity instances are checked a batch of documents at a time: memory holds one batch (and GX's
# pandas copies of it), while each GX validation has a fixed cost; the trade is measured in
# benchmarks/README.md (Throughput).
GATE_BATCH_DOCUMENTS = 250


@asset_check(asset=report_tables, blocking=True, partitions_def=year_partitions,
             description="The extracted cells are well formed: unique keys, known codes and statuses.")
def cells_well_formed(context: AssetCheckExecutionContext, report_tables: YearTables) -> AssetCheckResult:
    problems, cells = [], 0
    for batch in report_tables.cell_batches(GATE_BATCH_DOCUMENTS):  # keys include the document: a batch is exact
        problems += structural_problems(batch)
        cells += batch.height
    return AssetCheckResult(
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"cells": cells, "problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )


def earlier_documents(database: str, year: int, known: pl.Series) -> list[pl.DataFrame]:
    """The cells (CELLS_SCHEMA) of every document of `year` the warehouse holds (not retracted) that
    is not among `known`, in batches of whole documents: what earlier loads (other inboxes) brought.
    Read from the readers' published copy, which a load never holds; none when there is none."""
    from contextlib import closing

    from warehouse.loader import connect
    from warehouse.statements import run
    from warehouse.writer import readable_path

    published = readable_path(database)
    if not Path(published).is_file():
        return []
    with closing(connect(published, read_only=True)) as con:
        con.register("known_documents", pl.DataFrame({"document_id": known}, schema={"document_id": pl.String}).to_arrow())
        cells = run(con, "report/earlier_cells", [year]).pl()
    if cells.is_empty():
        return []
    cells = cells.select([pl.col(name).cast(dtype) for name, dtype in CELLS_SCHEMA.items()])
    ids = cells["document_id"].unique(maintain_order=True)
    return [cells.filter(pl.col("document_id").is_in(ids[i: i + GATE_BATCH_DOCUMENTS].implode()))
            for i in range(0, len(ids), GATE_BATCH_DOCUMENTS)]


@asset(
    group_name="quality",
    kinds={"great_expectations", "polars"},
    code_version=code_version("expectations", "assets", "xxgk"),
    partitions_def=year_partitions,
    description="The chosen report of each agency-year, with every identity checked by Great Expectations "
                "(the checks themselves are shown on warehouse_facts, over every year loaded). The year's Data Docs "
                "describe every document of the year: this run's and those earlier loads brought.",
)
def checked_facts(context: AssetExecutionContext, report_tables: YearTables, data_docs: DataDocsResource,
                  duckdb: DuckDBResource):
    from expectations.gates import (
        validate_report_batches,  # GX costs ~3 s to import: only where it runs
    )

    # no Data Docs folder for a year without documents to check
    docs_dir = Path(data_docs.path) / context.partition_key if data_docs.enabled and report_tables.documents.height else None
    # the Data Docs describe the whole year in the warehouse: the documents earlier loads (other
    # inboxes) brought are validated beside this run's, and left out of what this run decides
    run_ids = report_tables.documents["document_id"]
    earlier = earlier_documents(duckdb.database, int(context.partition_key), run_ids) if docs_dir is not None else []
    # every version is checked: a version that adds up is preferred to one that does not
    result = validate_report_batches([*report_tables.cell_batches(GATE_BATCH_DOCUMENTS), *earlier], data_docs_dir=docs_dir,
                                     keep_runs=data_docs.keep_validations)
    if earlier:
        ours = pl.col("document_id").is_in(run_ids.implode())
        context.log.info(f"data docs of {context.partition_key}: {sum(b['document_id'].n_unique() for b in earlier)} "
                         f"document(s) of earlier loads validated beside this run's")
        result = replace(result, violations=result.violations.filter(ours), incomplete=result.incomplete.filter(ours),
                         per_document=result.per_document.filter(ours))
    tables = report_tables.rechoose(result.per_document)
    chosen = tables.chosen().select("document_id")
    checked = CheckedFacts(
        tables=tables,
        violations=result.violations.join(chosen, on="document_id", how="semi"),
        version_violations=result.violations,
        incomplete=result.incomplete.join(chosen, on="document_id", how="semi"),
        quality=result.per_document,
        data_docs=str(result.data_docs_index) if result.data_docs_index else None,
    )
    yield Output(checked, metadata=year_metadata(checked, tables, result.checked))


def year_metadata(checked: CheckedFacts, tables: YearTables, identities_checked: int) -> dict:
    """What the year's materialization shows. Counts are text, not numbers: Dagster plots numeric
    metadata of a partitioned asset as one series across partitions (2023's 57 violations, then
    2024's 0), which means nothing."""
    quality = checked.quality.join(tables.chosen().select("document_id"), on="document_id", how="semi")  # the reports loaded
    not_passed = (quality.filter(pl.col("quality_status") != "passed")
                  .select("agency", pl.col("quality_status").alias("status"), "violations", "incomplete")
                  .sort("agency"))
    counts = pl.DataFrame({
        "what": ["identity instances checked", "violations", "incomplete instances", "superseded versions", "version differences"],
        "count": [identities_checked, checked.violations.height, checked.incomplete.height,
                  tables.documents.height - tables.chosen().height, tables.differences.height],
    })
    docs = {"data docs": MetadataValue.url(Path(checked.data_docs).as_uri())} if checked.data_docs else {}
    return {
        "counts": MetadataValue.md(table_md(counts)),
        "quality": ", ".join(f"{s}: {n}" for s, n in quality.group_by("quality_status").len().sort("quality_status").iter_rows()) or "none",
        # agency first, no long ids: the UI gives each column its share of the width
        "reports not passed": MetadataValue.md(table_md(not_passed)),
        **docs,
    }
