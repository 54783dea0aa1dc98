"""Running the job outside the UI (CLI, demo): the same assets and checks through `dagster.materialize`."""

import json
import os
import shlex
import sys
import time

import dagster as dg

from pipelines.assets import lightsail_raw_pages, warehouse_tables
from pipelines.checks import CheckThresholds
from pipelines.landing import RunFolder
from pipelines.metadata import extraction_totals, extraction_warnings
from pipelines.progress import ProgressResource
from pipelines.readout import open_for_reading
from pipelines.warehouse import WarehouseLocked, reader_path, table_counts


def run_job(lightsail, warehouse, snapshot_date, progress=None, thresholds=None, log_level="CRITICAL", findings=None,
            warnings=None, outcome=None):
    """Materialise one snapshot; returns (success, the first error as one line).

    `findings`, a list, receives one line per failed asset check (warnings included); `warnings`, one per
    warning of the extraction (discovery fallbacks, unknown fields, skipped regions); `outcome`, a dict, the
    run's id and, when its extraction finished, its RunFolder (`folder`): for a terminal to show.
    """
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    started = time.time()
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
    folder = RunFolder(warehouse.data_dir, snapshot_date, result.run_id)
    folder = folder if folder.manifest_path().exists() else None  # None: the run stopped before its manifest
    if outcome is not None:
        outcome.update(run_id=result.run_id, folder=folder)
    if warnings is not None and folder is not None:
        warnings.extend(_extraction_warnings(folder))
    if findings is not None:
        findings.extend(check_findings(result))
    if result.success:
        return True, None
    return False, first_error(result.all_events)


def check_findings(result):
    """'instances:instance_count_drop (warning): dropped_regions=us-east-1: 3126 on ... -> 600' per failed check."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        level = "warning" if evaluation.severity == dg.AssetCheckSeverity.WARN else "error"
        details = ", ".join(f"{key}={getattr(value, 'value', value)}" for key, value in evaluation.metadata.items())
        lines.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} ({level}): {details}")
    return lines


def _extraction_warnings(folder):
    """The manifest's warnings and schema drift of the run just made (unseen enum values stay in the metadata)."""
    totals = extraction_totals(folder.read_manifest())
    return [line for line in extraction_warnings(totals) if not line.startswith("unseen enum values")]


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


def _python():
    """The interpreter that has duckdb: this one, relative to the working directory when it is below it."""
    relative = os.path.relpath(sys.executable)
    return sys.executable if relative.startswith("..") else relative


def summary(warehouse):
    """What was loaded, where it is and how to query it."""
    if not os.path.exists(warehouse.path):
        return f"no warehouse at {warehouse.path}"
    try:
        con = open_for_reading(warehouse.path)  # never waits long: falls back to the published reader copy
    except WarehouseLocked as error:
        return f"(no summary: {error})"
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
    if not by_state:
        lines.append("  (no instances)")
    lines += ["", "Tables (all snapshots):"]
    lines += [f"  {name:<34} {n:>9} rows" for name, n in counts.items()]
    code = (f"import duckdb; duckdb.connect({json.dumps(str(warehouse.path))}, read_only=True)"
            '.sql("select * from current_inventory limit 10").show()')  # double quotes inside: one clean shell quote
    lines += [
        "",
        f"Warehouse: {os.path.abspath(warehouse.path)}",
        f"Query it:  {shlex.quote(_python())} -c {shlex.quote(code)}",
        f"       or, with the DuckDB CLI if installed: duckdb -readonly {shlex.quote(str(warehouse.path))}",
        f"While a run writes, query the copy each load publishes: {reader_path(warehouse.path)}",
    ]
    return "\n".join(lines)
