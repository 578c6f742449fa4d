"""Stage 3: the tables of one statistics year, a shard of normalised part files per step."""
from dagster import DynamicOut, DynamicOutput, OpExecutionContext, Out, Output, graph_asset, op

from assets.ingestion import progress_logger, shard_key
from assets.partitions import year_partitions
from assets.resources import ProcessingResource, StagingResource
from xxgk.code_version import document_code
from xxgk.extract.year import YearTables, extract_store
from xxgk.normalise import NormalisedStore
from xxgk.shards import merge_tables, year_shards
from xxgk.staging import earlier_record, remove_unreferenced

TABLES = "report_tables"


@op(out=DynamicOut(NormalisedStore), description="The year's documents, a shard of part files per extracting step.")
def year_document_shards(context: OpExecutionContext, normalised_documents: NormalisedStore,
                         processing: ProcessingResource, staging: StagingResource):
    year = int(context.partition_key)
    # not cleared: documents extracted before keep their cells (extract_shard); the merge removes the rest
    for number, shard in enumerate(year_shards(normalised_documents, year, processing.shard_size)):
        yield DynamicOutput(shard, mapping_key=shard_key(number))


def extracting_key(normalised: NormalisedStore) -> str:
    """What an extraction depends on besides the document: the code, and what normalised it."""
    from xxgk.code_version import key

    return key("extract", normalised.cache_key) if normalised.cache_key else ""


@op(description="Extract the tables of one shard of the year's documents; a document extracted by an earlier run "
                "with the same code is taken as it is.")
def extract_shard(context: OpExecutionContext, shard: NormalisedStore, processing: ProcessingResource,
                  staging: StagingResource) -> YearTables:
    year = int(context.partition_key)
    return extract_store(shard, year, staging.folder(TABLES, year), workers=processing.worker_count,
                         progress=progress_logger(context, "extracted"), budget=processing.budget,
                         previous=earlier_record(staging.folder(TABLES, year), YearTables), cache_key=extracting_key(shard))


# optional: a year the inbox holds no report of is not materialized. It stays "missing" in the UI,
# and the steps after it, checks included, are skipped rather than shown as passed on nothing.
@op(out=Out(YearTables, is_required=False), required_resource_keys={"staging"},
    description="The shards' tables as one year; one document chosen per agency-year.")
def merge_table_shards(context: OpExecutionContext, shards: list[YearTables]):
    year = int(context.partition_key)
    tables = merge_tables(year, shards)
    staging = context.resources.staging
    earlier = earlier_record(staging.folder(TABLES, year), YearTables)
    removed = remove_unreferenced(staging.folder(TABLES, year), set(tables.cells_source), prefix="cells-",
                                  earlier=set(earlier.cells_source) if earlier is not None
                                  and isinstance(earlier.cells_source, list) else set())
    if removed:
        context.log.info(f"{removed} cells part(s) of earlier runs no longer needed: removed")
    if tables.documents.is_empty() and tables.rejected.is_empty():
        context.log.warning(f"no reports of {year} in the inbox: {year} is not materialized, nothing is checked, "
                            f"and the warehouse keeps what it holds of {year}")
        return
    # text, not numbers: Dagster plots numbers of a partitioned asset as one series across years
    counts = {"documents": tables.documents.height, "reports": tables.chosen().height,
              "cells": int(tables.chosen()["cells"].sum() or 0), "warnings": tables.warnings.height,
              "rejected": tables.rejected.height, "shards": len(shards),
              "extracted now": tables.extracted}
    yield Output(tables, metadata={"counts": ", ".join(f"{k} {v}" for k, v in counts.items())})


@graph_asset(group_name="extraction", kinds={"polars", "parquet"}, partitions_def=year_partitions,
             code_version=document_code(),
             description="Tables 二, 三, 四 of each report of the year as Polars frames, one row per cell.")
def report_tables(normalised_documents: NormalisedStore) -> YearTables:
    return merge_table_shards(year_document_shards(normalised_documents).map(extract_shard).collect())
