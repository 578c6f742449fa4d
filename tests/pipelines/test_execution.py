"""`xxgk run`'s runs keep the instance's SQLite files open (pipelines.execution.event_log_kept_open):
every event is stored as before, seen at once by another reader of the home, and Dagster's own
storage is back as it was afterwards; no engine is made per event."""
import shutil

import dagster._core.storage.event_log.sqlite.sqlite_event_log as sqlite_event_log
import pytest
from dagster import DagsterInstance, DagsterRunStatus, job, op

from assets.resources import PROJECT_ROOT
from pipelines.execution import event_log_kept_open


@op
def chatty(context):
    for n in range(40):
        context.log.info(f"event {n}")


@job
def forty_events():
    chatty()


@pytest.fixture
def home(tmp_path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path)
    return tmp_path


def _engines_made(monkeypatch) -> list:
    made = []
    real = sqlite_event_log.create_engine
    monkeypatch.setattr(sqlite_event_log, "create_engine", lambda *a, **k: made.append(a) or real(*a, **k))
    return made


def test_events_are_stored_and_seen_at_once_through_connections_kept_open(home, monkeypatch):
    instance = DagsterInstance.from_config(str(home))
    made = _engines_made(monkeypatch)
    with event_log_kept_open(instance):
        first = forty_events.execute_in_process(instance=instance)
        second = forty_events.execute_in_process(instance=instance)
        reader = DagsterInstance.from_config(str(home))  # another reader of the home, while the files are held
        for result in (first, second):
            assert reader.get_run_by_id(result.run_id).status == DagsterRunStatus.SUCCESS
            messages = [e.user_message for e in reader.all_logs(result.run_id)]
            assert [m for m in messages if m.startswith("event ")] == [f"event {n}" for n in range(40)]
    kept = len(made)
    assert kept < 10  # not one an event; Dagster's has_table makes its own
    storage = instance.event_log_storage
    assert "_connect" not in vars(storage) and "connect" not in vars(instance.run_storage)  # Dagster's own again
    after = forty_events.execute_in_process(instance=instance)
    assert len(made) - kept >= 40  # (the count above is of something: without it, an engine an event)
    assert DagsterInstance.from_config(str(home)).get_run_by_id(after.run_id).status == DagsterRunStatus.SUCCESS


def test_a_run_that_fails_leaves_the_files_usable(home):
    @op
    def broken():
        raise ValueError("no")

    @job
    def fails():
        broken()

    instance = DagsterInstance.from_config(str(home))
    with event_log_kept_open(instance):
        failed = fails.execute_in_process(instance=instance, raise_on_error=False)
        ok = forty_events.execute_in_process(instance=instance)
    assert not failed.success and ok.success
    assert instance.get_run_by_id(failed.run_id).status == DagsterRunStatus.FAILURE
