"""The xxgk code location: `dagster dev -m pipelines.definitions` (or just `dagster dev`)."""
import warnings

# Partition-scoped asset checks are a Dagster "preview" feature (the README says so);
# the notice is not for every user of the code location.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*")

from pipelines.process import limit_malloc_arenas  # noqa: E402

limit_malloc_arenas()  # before Dagster's threads start: every process that loads the location

from dagster import (  # noqa: E402
    Definitions,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets import extraction, ingestion, normalisation, quality, warehouse  # noqa: E402
from pipelines.jobs import annual_job, inbox_job, year_job  # noqa: E402
from pipelines.resources import (  # noqa: E402
    data_docs_from_env,
    inbox_from_env,
    processing_from_env,
    warehouse_from_env,
)
from pipelines.schedules import annual_load  # noqa: E402
from pipelines.sensors import inbox_sensor, years_after_inbox  # noqa: E402

_modules = [ingestion, normalisation, extraction, quality, warehouse]


def build_definitions() -> Definitions:
    """Resources are built here, from the environment, when the code location loads."""
    return Definitions(
        assets=load_assets_from_modules(_modules),
        asset_checks=load_asset_checks_from_modules(_modules),
        jobs=[inbox_job, year_job, annual_job],
        schedules=[annual_load],
        sensors=[inbox_sensor, years_after_inbox],
        resources={
            "inbox": inbox_from_env(),
            "processing": processing_from_env(),
            "duckdb": warehouse_from_env(),
            "data_docs": data_docs_from_env(),
        },
    )


defs = build_definitions()
