"""The annual load.

Departments hand their reports to the government's disclosure office by 31 January;
governments publish theirs by 31 March (《政府信息公开条例》第五十条). On 15 April the
year's reports are out, with two weeks for late uploads and for the inbox to be filled.
"""
import datetime as _dt

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from assets.partitions import add_years, statistics_years
from pipelines.jobs import annual_job


@schedule(job=annual_job, cron_schedule="0 2 15 4 *", execution_timezone="Asia/Shanghai",
          description="On 15 April, load the previous statistics year.")
def annual_load(context: ScheduleEvaluationContext):
    scheduled = context.scheduled_execution_time or _dt.datetime.now()
    year = str(scheduled.year - 1)
    if int(year) not in statistics_years(scheduled.date()):
        return SkipReason(f"{year} is not a statistics year of the standard tables")
    add_years(context.instance, [year])  # the run reads the inbox first: its year must be a partition before it starts
    return RunRequest(run_key=f"annual-{year}", partition_key=year, tags={"xxgk/trigger": "annual schedule"})
