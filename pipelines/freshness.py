"""Freshness of the warehouse: `snapshots:freshness`, run after every load and hourly in between."""

import datetime as dt
import os

import dagster as dg

from pipelines import status
from pipelines.checks import ERROR, WARN, CheckThresholds
from pipelines.resources import WarehouseResource


def freshness(con, now, fresh_hours):
    """Fails (ERROR) when no snapshot was loaded within `fresh_hours`; WARNs when some regions lag behind.

    A region lags when its last load is older than the window although runs still try it (it was attempted
    within the window and failed): `lagging_regions`. One that no run has tried within the window was taken
    out of the configuration: it is listed as `not_extracted_recently`, and does not warn night after night.
    `stale_regions` is what `status` and report_stale_regions call stale (the latest attempt failed, whatever
    the hour), shown for reference: a region failed last night lags only once the window has passed.
    """
    rows = []
    cutoff = now - dt.timedelta(hours=fresh_hours)
    if status.has_table(con, "snapshots"):
        attempted = "true"
        if status.has_table(con, "extraction_runs"):
            attempted = (
                "exists (select 1 from extraction_runs as r where r.account_id = s.account_id "
                "and r.region = s.region and r.started_at >= $cutoff)"
            )
        rows = con.execute(
            f"select account_id, region, max(loaded_at), bool_or({attempted}) from snapshots as s group by all order by all",
            {"cutoff": cutoff} if attempted != "true" else {},
        ).fetchall()
    latest = max((loaded_at for _, _, loaded_at, _ in rows), default=None)
    old = [(f"{region} ({account}, {at:%Y-%m-%d %H:%M})", tried) for account, region, at, tried in rows if at < cutoff]
    stale = [text for text, tried in old if tried]
    metadata = {
        "latest_loaded_at": latest.isoformat() if latest else "never",
        "hours_since": round((now - latest).total_seconds() / 3600, 1) if latest else -1.0,
        "fresh_hours": fresh_hours,
        "lagging_regions": "; ".join(stale) or "none",
        "stale_regions": _stale_regions(con),
        "not_extracted_recently": "; ".join(text for text, tried in old if not tried) or "none",
    }
    if latest is None or latest < cutoff:
        return dg.AssetCheckResult(passed=False, severity=ERROR, metadata=metadata)
    return dg.AssetCheckResult(passed=not stale, severity=WARN, metadata=metadata)


def _stale_regions(con):
    if not status.has_table(con, "extraction_runs") or not con.execute(
        "select count(*) from duckdb_views() where view_name = 'report_stale_regions'"
    ).fetchone()[0]:
        return "none"
    rows = con.execute("select region, account_id from report_stale_regions order by all").fetchall()
    return "; ".join(f"{region} ({account})" for region, account in rows) or "none"


@dg.asset_check(
    asset="snapshots",
    name="freshness",
    description="Fails when no snapshot was loaded in the last 36 hours (configurable); warns on regions that lag behind.",
    pool="duckdb",
)
def snapshots_freshness(warehouse: WarehouseResource, thresholds: CheckThresholds):
    if not os.path.exists(warehouse.path):
        return dg.AssetCheckResult(
            passed=False, severity=ERROR, metadata={"latest_loaded_at": "never", "warehouse": warehouse.path}
        )
    con = warehouse.connect(read_only=True)
    try:
        return freshness(con, dt.datetime.now(dt.timezone.utc), thresholds.fresh_hours)
    finally:
        con.close()
