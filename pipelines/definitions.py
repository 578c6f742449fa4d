"""The xxgk code location: `dg dev` (or `dagster dev`) in the project folder (pyproject.toml names it)."""
import warnings

# Partition-scoped asset checks are a Dagster "preview" feature (the README says so);
# the notice is not for every user of the code location.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*")

from pipelines.process import limit_malloc_arenas  # noqa: E402

from dagster import (  # noqa: E402
    Definitions,
    ExecutorDefinition,
    definitions,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets import extraction, ingestion, normalisation, overview, quality, warehouse  # noqa: E402
from pipelines.io_manager import StageIOManager  # noqa: E402
from pipelines.jobs import annual_job, inbox_job, year_job  # noqa: E402
from pipelines.resources import default_resources  # noqa: E402
from pipelines.schedules import annual_load  # noqa: E402
from pipelines.sensors import inbox_sensor, years_after_inbox  # noqa: E402

_modules = [ingestion, normalisation, extraction, quality, warehouse, overview]


def build_definitions(executor: ExecutorDefinition = in_process_executor) -> Definitions:
    """Resources are built here (XXGK_* variables as EnvVars, else defaults), when the code location loads.

    The executor: in process, each step spreading its shard over the worker pool
    (xxgk.parallel); a process per step (Dagster's default) costs seconds of start-up each
    for steps of a second. pipelines.distributed gives the same jobs to Celery workers.
    """
    limit_malloc_arenas()  # before any run's threads start: every process that loads the location
    resources = default_resources()
    resources["io_manager"] = StageIOManager(staging=resources["staging"])
    return Definitions(
        assets=load_assets_from_modules(_modules),
        asset_checks=load_asset_checks_from_modules(_modules),
        jobs=[inbox_job, year_job, annual_job],
        schedules=[annual_load],
        sensors=[inbox_sensor, years_after_inbox],
        resources=resources,
        executor=executor,
    )


@definitions
def defs() -> Definitions:
    """What Dagster's tools load (`dg dev`, `dagster dev`, `dagster asset materialize`): built on
    load, not on import, so importing the module reads no configuration."""
    return build_definitions()
