"""Running the job outside the UI (CLI, demo): the same assets and checks through `dagster.materialize`."""

import os

import dagster as dg

from pipelines.assets import lightsail_raw_pages, warehouse_tables
from pipelines.warehouse import connect, table_counts


def run_job(lightsail, warehouse, snapshot_date):
    """Materialise one snapshot; returns (success, first error message)."""
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [lightsail_raw_pages, warehouse_tables],
        partition_key=snapshot_date.isoformat(),
        resources={"lightsail": lightsail, "warehouse": warehouse},
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    if result.success:
        return True, None
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            return False, (error.message or "").strip().splitlines()[0] if error else "a step failed"
    return False, "the run failed"


def summary(warehouse):
    """What was loaded, where it is and how to query it."""
    if not os.path.exists(warehouse.path):
        return f"no warehouse at {warehouse.path}"
    con = connect(warehouse.path, read_only=True, lock_timeout_s=warehouse.lock_timeout_s)
    try:
        by_state = con.execute(
            "select region, state_name, count(*) from current_instances group by all order by all"
        ).fetchall()
        counts = table_counts(con)
    finally:
        con.close()
    lines = ["", "Current instances by region and state:"]
    lines += [f"  {region:<16} {state or '(none)':<12} {n:>7}" for region, state, n in by_state]
    lines += ["", "Tables (all snapshots):"]
    lines += [f"  {name:<34} {n:>9} rows" for name, n in counts.items()]
    lines += [
        "",
        f"Warehouse: {os.path.abspath(warehouse.path)}",
        f"Query it:  duckdb -readonly {warehouse.path} \"select * from current_inventory limit 10\"",
        f"       or: python -c \"import duckdb; print(duckdb.connect('{warehouse.path}', read_only=True)"
        ".sql('select * from ports_open_to_world'))\"",
    ]
    return "\n".join(lines)
