from dagster import AssetExecutionContext, asset

from assets.ingestion import progress_logger
from assets.normalisation import NormalisedBatch
from assets.partitions import year_partitions
from xxgk.extract.year import YearTables, extract_year


@asset(
    group_name="xxgk",
    partitions_def=year_partitions,
    description="Tables 二, 三, 四 of each report of the year as Polars frames, one row per cell.",
)
def report_tables(context: AssetExecutionContext, normalised_documents: NormalisedBatch) -> YearTables:
    year = int(context.partition_key)
    tables = extract_year(
        normalised_documents.documents, year, normalised_documents.duplicate_files, progress=progress_logger(context, "extracted")
    )
    context.add_output_metadata(
        {
            "documents": tables.documents.height,
            "reports": tables.chosen().height,
            "cells": tables.chosen_cells().height,
            "warnings": tables.warnings.height,
            "rejected": tables.rejected.height,
        }
    )
    return tables
