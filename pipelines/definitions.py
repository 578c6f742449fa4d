"""The xxgk code location: `dagster dev -m pipelines.definitions` (or just `dagster dev`)."""
from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from assets import extraction, ingestion, normalisation, quality, warehouse
from pipelines.jobs import inbox_job, year_job
from pipelines.resources import data_docs_from_env, inbox_from_env, warehouse_from_env

_modules = [ingestion, normalisation, extraction, quality, warehouse]


def build_definitions() -> Definitions:
    """Resources are built here, from the environment, when the code location loads."""
    return Definitions(
        assets=load_assets_from_modules(_modules),
        asset_checks=load_asset_checks_from_modules(_modules),
        jobs=[inbox_job, year_job],
        resources={
            "inbox": inbox_from_env(),
            "duckdb": warehouse_from_env(),
            "data_docs": data_docs_from_env(),
        },
    )


defs = build_definitions()
