"""The nightly schedule: each tick materialises the partition of its own date."""

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
