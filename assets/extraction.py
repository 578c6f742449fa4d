"""Dagster assets, one module per stage: ingestion -> normalisation -> extraction -> quality -> warehouse."""
from pathlib import Path

from dagster import AssetExecutionContext, asset

from assets.ingestion import progress_logger
from assets.partitions import year_partitions
from pipelines.resources import ProcessingResource
from xxgk.extract.year import YearTables, extract_store
from xxgk.normalise import NormalisedStore


@asset(
    group_name="xxgk",
    partitions_def=year_partitions,
    description="Tables 二, 三, 四 of each report of the year as Polars frames, one row per cell.",
)
def report_tables(context: AssetExecutionContext, normalised_documents: NormalisedStore, processing: ProcessingResource) -> YearTables:
    year = int(context.partition_key)
    folder = Path(normalised_documents.folder).parent / f"tables-{year}-{context.run_id[:8]}"
    tables = extract_store(normalised_documents, year, folder, workers=processing.worker_count,
                           progress=progress_logger(context, "extracted"))
    context.add_output_metadata(
        {
            "documents": tables.documents.height,
            "reports": tables.chosen().height,
            "cells": int(tables.chosen()["cells"].sum() or 0),
            "warnings": tables.warnings.height,
            "rejected": tables.rejected.height,
        }
    )
    return tables
