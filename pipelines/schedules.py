"""Schedules: the nightly snapshot (each tick loads the partition of its own date) and the freshness check."""

import dagster as dg


def nightly_schedule(job, cron="0 2 * * *", timezone="UTC", running=True):
    """A schedule on `cron` in `timezone`; the snapshot date is the tick's date in that zone."""

    @dg.schedule(
        name="nightly",
        cron_schedule=cron,
        execution_timezone=timezone,
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description=f"Snapshot the Lightsail fleet every night ({cron}, {timezone}).",
    )
    def nightly(context: dg.ScheduleEvaluationContext):
        date = context.scheduled_execution_time.date().isoformat()
        return dg.RunRequest(run_key=date, partition_key=date, tags={"snapshot_date": date})

    return nightly


def freshness_schedule(job, cron="30 * * * *", running=True):
    """Runs the freshness check between nightly runs, so a night that never ran is noticed too."""
    return dg.ScheduleDefinition(
        name="freshness_hourly",
        cron_schedule=cron,
        execution_timezone="UTC",
        job=job,
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description=f"Check the warehouse's freshness ({cron}, UTC).",
    )
