from dagster import AssetSelection, define_asset_job

from assets.partitions import year_partitions

# Read the inbox once: every document, whatever its year; load the rejected ones.
inbox_job = define_asset_job(
    "xxgk_inbox",
    selection=AssetSelection.assets("raw_documents", "normalised_documents", "rejected_documents"),
    description="Read, normalise and sort the inbox; record the files that are not loaded.",
)

# One statistics year: extract, check, load.
year_job = define_asset_job(
    "xxgk_year",
    selection=AssetSelection.assets("report_tables", "checked_facts", "warehouse_facts", "annual_overview"),
    partitions_def=year_partitions,
    description="Extract the tables of one statistics year, check the identities, load the warehouse, render its overview.",
)

# The annual schedule's job: read the inbox and load one year, in one run.
annual_job = define_asset_job(
    "xxgk_annual",
    selection=AssetSelection.all(),
    partitions_def=year_partitions,
    description="Read the inbox, then extract, check and load one statistics year.",
)
