"""Runs launched through the instance (the UI, a schedule, a sensor, a backfill) execute with the
executor the code location chose: in process, as `xxgk run` executes them, not Dagster's
default of a process per step (benchmarks/launch.py measures what that saves). That the
daemon's runs do: tests/browser/test_dagster_ui.py, the backfill under `make ui`."""
from dagster import in_process_executor


def test_every_job_of_the_code_location_runs_in_process():
    from pipelines.definitions import defs

    loaded = defs()  # what `dg dev`, the daemon and a run worker load
    jobs = {job.name: job for job in loaded.resolve_all_job_defs() if not job.name.startswith("__")}
    assert sorted(jobs) == ["xxgk_annual", "xxgk_inbox", "xxgk_year"]
    assert {name: job.executor_def for name, job in jobs.items()} == dict.fromkeys(jobs, in_process_executor)
