"""The Dagster code location: every asset, check, job, schedule and resource of lightsail-warehouse."""

import os

import dagster as dg

from pipelines.assets import lightsail_raw_pages, warehouse_tables
from pipelines.checks import CheckThresholds
from pipelines.freshness import snapshots_freshness
from pipelines.progress import ProgressResource
from pipelines.resources import LightsailResource, WarehouseResource, keep_runs_days_from_env, schedule_running_from_env
from pipelines.schedules import freshness_schedule, nightly_schedule

warehouse_job = dg.define_asset_job(
    "lightsail_warehouse_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Extract every configured account and region, land the pages, load one checked snapshot.",
)

freshness_job = dg.define_asset_job(
    "freshness_check_job",
    selection=dg.AssetSelection.checks(snapshots_freshness),
    executor_def=dg.in_process_executor,
    description="Check that the warehouse got a snapshot recently, between nightly runs.",
)

# The composition root is the one place that reads deployment settings (at definition load, not import of
# the library code); everything else gets them as typed arguments.
_running = schedule_running_from_env()

defs = dg.Definitions(
    assets=[lightsail_raw_pages, warehouse_tables],
    asset_checks=[snapshots_freshness],
    jobs=[warehouse_job, freshness_job],
    schedules=[
        nightly_schedule(
            warehouse_job,
            cron=os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_CRON", "0 2 * * *"),
            timezone=os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_TZ", "UTC"),
            running=_running,
        ),
        freshness_schedule(freshness_job, running=_running),
    ],
    resources={
        "lightsail": LightsailResource(),
        "warehouse": WarehouseResource(
            path=os.environ.get("LIGHTSAIL_WAREHOUSE_DB", "data/warehouse.duckdb"),
            data_dir=os.environ.get("LIGHTSAIL_WAREHOUSE_DATA_DIR", "data"),
            keep_runs_days=keep_runs_days_from_env(),
        ),
        "thresholds": CheckThresholds(),
        "progress": ProgressResource(),
    },
)
