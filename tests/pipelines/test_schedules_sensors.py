"""The annual schedule and the inbox sensor, with Dagster's own test helpers."""
import datetime as dt
import json
import os
import shutil

from dagster import (
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)

from pipelines.resources import InboxResource
from pipelines.schedules import annual_load
from pipelines.sensors import inbox_sensor
from tests.conftest import SAMPLE_FILES


def test_annual_schedule_requests_the_previous_statistics_year():
    context = build_schedule_context(scheduled_execution_time=dt.datetime(2025, 4, 15, 2, 0))
    request = annual_load(context)
    assert isinstance(request, RunRequest)
    assert request.partition_key == "2024"
    assert annual_load.cron_schedule == "0 2 15 4 *" and annual_load.execution_timezone == "Asia/Shanghai"


def test_annual_schedule_skips_years_before_the_standard_tables():
    assert isinstance(annual_load(build_schedule_context(scheduled_execution_time=dt.datetime(2019, 4, 15))), SkipReason)


def _evaluate(inbox, cursor=None):
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor, resources={"inbox": InboxResource(path=str(inbox))})
        result = inbox_sensor.evaluate_tick(context)
        return result, context.cursor


def test_inbox_sensor_runs_on_new_or_changed_content_only(tmp_path):
    shutil.copy(SAMPLE_FILES[0], tmp_path / SAMPLE_FILES[0].name)
    result, cursor = _evaluate(tmp_path)
    assert len(result.run_requests) == 1
    # nothing new: no run
    result, cursor = _evaluate(tmp_path, cursor)
    assert result.run_requests == [] and "no new or changed files" in result.skip_message
    # touched but unchanged: no run
    path = tmp_path / SAMPLE_FILES[0].name
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    result, cursor = _evaluate(tmp_path, cursor)
    assert result.run_requests == []
    assert json.loads(cursor)[str(path)][1] == path.stat().st_mtime_ns  # but the new mtime is remembered
    # a new file: a run
    shutil.copy(SAMPLE_FILES[1], tmp_path / "new.txt")
    result, cursor = _evaluate(tmp_path, cursor)
    assert len(result.run_requests) == 1 and result.run_requests[0].tags["xxgk/changed_files"] == "1"
    # changed content of a known file: a run
    path.write_bytes(path.read_bytes() + b"\n")
    result, _ = _evaluate(tmp_path, cursor)
    assert len(result.run_requests) == 1
