"""Freshness of the warehouse: `snapshots:freshness`, run after every load and hourly in between."""

import datetime as dt
import os

import dagster as dg

from pipelines import status
from pipelines.checks import ERROR, WARN, CheckThresholds
from pipelines.resources import WarehouseResource


def freshness(con, now, fresh_hours):
    """Fails (ERROR) when no snapshot was loaded within `fresh_hours`; WARNs when some regions lag behind."""
    rows = []
    if status.has_table(con, "snapshots"):
        rows = con.execute("select account_id, region, max(loaded_at) from snapshots group by all order by all").fetchall()
    cutoff = now - dt.timedelta(hours=fresh_hours)
    latest = max((loaded_at for _, _, loaded_at in rows), default=None)
    stale = [f"{region} ({account}, {at:%Y-%m-%d %H:%M})" for account, region, at in rows if at < cutoff]
    metadata = {
        "latest_loaded_at": latest.isoformat() if latest else "never",
        "hours_since": round((now - latest).total_seconds() / 3600, 1) if latest else -1.0,
        "fresh_hours": fresh_hours,
        "stale_regions": "; ".join(stale) or "none",
    }
    if latest is None or latest < cutoff:
        return dg.AssetCheckResult(passed=False, severity=ERROR, metadata=metadata)
    return dg.AssetCheckResult(passed=not stale, severity=WARN, metadata=metadata)


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
