"""The Dagster code location: every asset, check, job, schedule and resource of lightsail-warehouse."""

import os

import dagster as dg

from pipelines.assets import PARTITIONS, lightsail_raw_pages, warehouse_tables
from pipelines.resources import LightsailResource, WarehouseResource
from pipelines.schedules import nightly_schedule

warehouse_job = dg.define_asset_job(
    "lightsail_warehouse_job",
    selection=dg.AssetSelection.all(),
    partitions_def=PARTITIONS,
    executor_def=dg.in_process_executor,
    description="Extract every configured account and region, land the pages, load one snapshot.",
)

# The composition root is the one place that reads deployment settings (at definition load, not import of
# the library code); everything else gets them as typed arguments.
defs = dg.Definitions(
    assets=[lightsail_raw_pages, warehouse_tables],
    jobs=[warehouse_job],
    schedules=[
        nightly_schedule(
            warehouse_job,
            cron=os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_CRON", "0 2 * * *"),
            timezone=os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_TZ", "UTC"),
            running=os.environ.get("LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING", "1") != "0",
        )
    ],
    resources={
        "lightsail": LightsailResource(),
        "warehouse": WarehouseResource(
            path=os.environ.get("LIGHTSAIL_WAREHOUSE_DB", "data/warehouse.duckdb"),
            data_dir=os.environ.get("LIGHTSAIL_WAREHOUSE_DATA_DIR", "data"),
        ),
    },
)
