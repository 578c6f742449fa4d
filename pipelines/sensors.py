"""React to the inbox: new or changed files (by content) start a run; then their years load."""
import hashlib
import json

from dagster import (
    AssetKey,
    DagsterRunStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_status_sensor,
    sensor,
)

from assets.partitions import year_partitions
from assets.resources import InboxResource
from pipelines.jobs import inbox_job, year_job
from xxgk.documents import fingerprint_inbox, list_inbox


@sensor(job=inbox_job, minimum_interval_seconds=60, description="New or changed files in the inbox (by content hash).")
def inbox_sensor(context: SensorEvaluationContext, inbox: InboxResource):
    if not inbox.folder.exists():
        return SkipReason(f"inbox not found: {inbox.folder}")
    previous = json.loads(context.cursor) if context.cursor else {}
    state, changed = fingerprint_inbox(list_inbox(inbox.folder, follow_outside_links=inbox.follow_outside_links), previous)
    context.update_cursor(json.dumps(state))
    if not changed:
        return SkipReason("no new or changed files")
    digest = hashlib.sha256(",".join(sorted(state[p][2] for p in changed)).encode()).hexdigest()[:16]
    return RunRequest(run_key=f"inbox-{digest}",
                      tags={"xxgk/changed_files": str(len(changed))})


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, monitored_jobs=[inbox_job], request_job=year_job,
                   description="After the inbox is read, load every year it holds.")
def years_after_inbox(context: RunStatusSensorContext):
    event = context.instance.get_latest_materialization_event(AssetKey("normalised_documents"))
    years_text = event.asset_materialization.metadata.get("years") if event and event.asset_materialization else None
    years = [y.strip() for y in str(years_text.value if years_text else "").split(",") if y.strip().isdigit()]
    keys = set(context.instance.get_dynamic_partitions(year_partitions.name))
    return [RunRequest(run_key=f"{context.dagster_run.run_id}-{y}", partition_key=y) for y in years if y in keys]
