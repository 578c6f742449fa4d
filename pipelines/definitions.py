"""The xxgk code location: `dg dev` (or `dagster dev`) in the project folder (pyproject.toml names it)."""
import warnings

# Partition-scoped asset checks are a Dagster "preview" feature (the README says so);
# the notice is not for every user of the code location.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*")

from dagster import (  # noqa: E402
    ComponentTree,
    Definitions,
    ExecutorDefinition,
    PreviewWarning,
    definitions,
    in_process_executor,
)

import assets  # noqa: E402
from assets.resources import PROJECT_ROOT  # noqa: E402
from pipelines.io_manager import StageIOManager  # noqa: E402
from pipelines.jobs import annual_job, inbox_job, year_job  # noqa: E402
from pipelines.process import limit_malloc_arenas  # noqa: E402
from pipelines.schedules import annual_load  # noqa: E402
from pipelines.sensors import inbox_sensor, years_after_inbox  # noqa: E402


def build_definitions(executor: ExecutorDefinition = in_process_executor) -> Definitions:
    """The assets, checks and resources of the defs folder (assets/; resources built from the
    warehouse's settings, xxgk/settings.py, when the code location loads), with the jobs, schedule
    and sensors.

    The executor: in process, each step spreading its shard over the worker pool
    (xxgk.parallel); a process per step (Dagster's default) costs seconds of start-up each
    for steps of a second. pipelines.distributed gives the same jobs to Celery workers.
    """
    limit_malloc_arenas()  # before any run's threads start: every process that loads the location
    # the defs folder is the package `assets`: its assets, checks and resources, found by Dagster's
    # own loader. Not load_from_defs_folder: it reads [tool.dg.project] defs_module, which dg
    # requires inside root_module, and `assets` is a top-level package of its own.
    with warnings.catch_warnings():  # its module loaders are "preview": load_from_defs_folder silences them alike
        warnings.simplefilter("ignore", PreviewWarning)
        found = ComponentTree.from_module(defs_module=assets, project_root=PROJECT_ROOT).build_defs()
    return Definitions.merge(found, Definitions(
        jobs=[inbox_job, year_job, annual_job],
        schedules=[annual_load],
        sensors=[inbox_sensor, years_after_inbox],
        # every output through the stages' stores of the staging resource the assets use
        resources={"io_manager": StageIOManager(staging=found.resources["staging"])},
        executor=executor,
    ))


@definitions
def defs() -> Definitions:
    """What Dagster's tools load (`dg dev`, `dagster dev`, `dagster asset materialize`): built on
    load, not on import, so importing the module reads no configuration."""
    return build_definitions()
