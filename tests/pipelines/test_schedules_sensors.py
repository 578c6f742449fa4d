"""The annual schedule and the inbox sensor, with Dagster's own test helpers."""
import datetime as dt
import json
import os
import shutil

import pytest
from dagster import (
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from assets.resources import InboxResource
from pipelines.schedules import annual_load
from pipelines.sensors import inbox_sensor
from tests.conftest import SAMPLE_FILES


def test_annual_schedule_requests_the_previous_statistics_year():
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(2025, 4, 15, 2, 0))
        request = annual_load(context)
        assert isinstance(request, RunRequest)
        assert request.partition_key == "2024"
        assert instance.get_dynamic_partitions("year") == ["2024"]  # the run's partition exists before it starts
    assert annual_load.cron_schedule == "0 2 15 4 *" and annual_load.execution_timezone == "Asia/Shanghai"


def test_annual_schedule_skips_years_before_the_standard_tables():
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(2019, 4, 15))
        assert isinstance(annual_load(context), SkipReason)
        assert instance.get_dynamic_partitions("year") == []


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


def test_after_the_inbox_is_read_every_year_it_holds_is_requested(tmp_path):
    from dagster import build_run_status_sensor_context

    from pipelines.definitions import build_definitions
    from pipelines.sensors import years_after_inbox

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in SAMPLE_FILES:
        if path.suffix == ".txt":  # the 2023 reports; and one of them re-dated 2021
            shutil.copy(path, inbox / path.name)
    qidong = next(p for p in SAMPLE_FILES if "qidong" in p.name)
    (inbox / "qidong-2021.txt").write_text(qidong.read_text(encoding="utf-8").replace("2023", "2021"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_INBOX", str(inbox))
        mp.setenv("XXGK_WAREHOUSE", str(tmp_path / "w.duckdb"))
        defs = build_definitions()
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("xxgk_inbox").execute_in_process(instance=instance)
            context = build_run_status_sensor_context(
                sensor_name="years_after_inbox", dagster_instance=instance, dagster_run=result.dagster_run,
                dagster_event=result.get_run_success_event())
            requests = years_after_inbox(context)
            # reading the inbox made its years the partitions of the year assets, and only those
            assert sorted(instance.get_dynamic_partitions("year")) == ["2021", "2023"]
    assert [r.partition_key for r in requests] == ["2021", "2023"]
    assert {r.run_key for r in requests} == {f"{result.run_id}-2021", f"{result.run_id}-2023"}
