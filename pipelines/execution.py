"""What `xxgk run` executes: the code location's own jobs (`xxgk_inbox`, then `xxgk_year` for each
year), with their executor and IO manager, in this process against the Dagster instance -- the
runs a sensor, a schedule, the UI or a backfill would launch, so they show in the UI alike. The
CLI adds the arguments and the summary; it never reaches past these two functions."""
from __future__ import annotations

from dagster import DagsterInstance, Definitions

from pipelines.recovery import execute
from xxgk.normalise import NormalisedStore


def read_inbox(defs: Definitions, instance: DagsterInstance, run_config: dict) -> NormalisedStore | None:
    """Materialize the inbox's assets (read, normalise, reject); the normalised store, or None if the run failed."""
    # through recovery.execute: a wait for the writer's slot is said, a signal stops the command
    result = execute(defs.resolve_job_def("xxgk_inbox"), instance, run_config=run_config, raise_on_error=False)
    return result.output_for_node("normalised_documents") if result.success else None


def load_year(defs: Definitions, instance: DagsterInstance, year: int, run_config: dict) -> bool:
    """Materialize one year's partition (extract, check, load); whether the run succeeded."""
    result = execute(defs.resolve_job_def("xxgk_year"), instance, partition_key=str(year), run_config=run_config,
                     raise_on_error=False)
    return result.success
