"""Running the job outside the UI (CLI, demo): the same assets and checks through `dagster.materialize`."""

import os

import dagster as dg

from pipelines.assets import lightsail_raw_pages, warehouse_tables
from pipelines.checks import CheckThresholds
from pipelines.progress import ProgressResource
from pipelines.warehouse import connect, table_counts


def run_job(lightsail, warehouse, snapshot_date, progress=None, thresholds=None, log_level="CRITICAL"):
    """Materialise one snapshot; returns (success, the first error as one line)."""
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [lightsail_raw_pages, warehouse_tables],
        partition_key=snapshot_date.isoformat(),
        resources={
            "lightsail": lightsail,
            "warehouse": warehouse,
            "progress": progress or ProgressResource(),
            "thresholds": thresholds or CheckThresholds(),
        },
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    if result.success:
        return True, None
    return False, first_error(result.all_events)


def first_error(events):
    """The first failed step's own error (not Dagster's wrapper around it), folded onto one line."""
    for event in events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
                error = error.cause
            message = " ".join(line.strip() for line in (error.message if error else "").splitlines() if line.strip())
            return _short_class(message, error.cls_name if error else None) or "a step failed"
    return "the run failed"


def _short_class(message, cls_name):
    """'dagster...Failure: text' -> 'text'; 'pkg.module.SomeError: text' -> 'SomeError: text'."""
    head, sep, rest = message.partition(": ")
    if not sep or not cls_name or not head.endswith(cls_name) or " " in head:
        return message
    return rest if cls_name == "Failure" else f"{cls_name}: {rest}"


def summary(warehouse):
    """What was loaded, where it is and how to query it."""
    if not os.path.exists(warehouse.path):
        return f"no warehouse at {warehouse.path}"
    con = connect(warehouse.path, read_only=True, lock_timeout_s=warehouse.lock_timeout_s)
    try:
        if not con.execute("select count(*) from duckdb_views() where view_name = 'current_instances'").fetchone()[0]:
            return f"nothing loaded yet into {warehouse.path}"
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
