"""Dagster assets: extraction into the landing zone, then one checked, transactional load of every table."""

import datetime as dt

import dagster as dg

from pipelines.checks import TABLE_CHECKS, CheckThresholds, blocking_failures, run_table_checks
from pipelines.landing import prune_runs, run_to_load
from pipelines.load import load_run, publish_reader
from pipelines.metadata import (
    column_schema, extraction_metadata, extraction_totals, extraction_warnings, region_table, run_summary,
)
from pipelines.progress import ProgressResource
from pipelines.resources import LightsailResource, WarehouseResource
from pipelines.snapshot import extract_run, failed_pairs
from pipelines.warehouse import q
from schemas import INSTANCE_TABLES, TABLES, meta

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC", end_offset=2)  # today exists whatever the schedule zone
RAW = dg.AssetKey("lightsail_raw_pages")
LOADED_TABLES = list(INSTANCE_TABLES) + ["quarantine", "snapshots", "extraction_runs"]


@dg.asset(
    key=RAW,
    partitions_def=PARTITIONS,
    group_name="lightsail",
    kinds={"aws", "json"},
    owners=["team:platform"],
    description="Every GetInstances page of every configured account and region, kept as received "
    "(zstd-compressed JSON) and normalised into staged Parquet for the load.",
)
def lightsail_raw_pages(
    context: dg.AssetExecutionContext, lightsail: LightsailResource, warehouse: WarehouseResource, progress: ProgressResource
):
    snapshot_date = dt.date.fromisoformat(context.partition_key)
    reporter = progress.reporter(context.log)
    try:
        folder, manifest = extract_run(
            lightsail.plan(snapshot_date), warehouse.data_dir, run_id=context.run.run_id, progress=reporter,
            earlier_account_ids=warehouse.account_ids,
        )
    except BaseException:
        reporter.close()
        raise
    reporter.finish()
    # Failed regions do not fail this step: the load records them (even when every region failed), then fails the run.
    regions, failed = manifest["regions"], failed_pairs(manifest)
    for r in failed:
        context.log.error(f"{r['account']}/{r['region']} failed: {r['error']}")
    totals = extraction_totals(manifest)
    for warning in extraction_warnings(totals):
        context.log.warning(warning)
    return dg.MaterializeResult(
        metadata={
            "run_folder": dg.MetadataValue.path(str(folder.path)),
            "pages": sum(r["pages"] for r in regions),
            "instances_received": sum(r["instances"] for r in regions),
            "failed_regions": ", ".join(f"{r['account']}/{r['region']}" for r in failed) or "none",
            **extraction_metadata(totals),
            "regions": region_table(regions),
        }
    )


def _table_spec(name):
    schema = TABLES[name]
    return dg.AssetSpec(
        name,
        deps=[RAW],
        description=meta(schema, "description"),
        group_name="warehouse",
        kinds={"duckdb"},
        owners=["team:platform"],
        partitions_def=PARTITIONS,
        metadata={"dagster/column_schema": column_schema(schema), "primary_key": meta(schema, "primary_key")},
    )


@dg.multi_asset(
    name="warehouse_tables",
    specs=[_table_spec(name) for name in LOADED_TABLES],
    check_specs=[spec for specs in TABLE_CHECKS.values() for spec in specs],
    partitions_def=PARTITIONS,
    pool="duckdb",
)
def warehouse_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource, thresholds: CheckThresholds):
    """Load this run's extraction (else the partition's latest) into DuckDB in one transaction, checked before it commits."""
    snapshot_date = dt.date.fromisoformat(context.partition_key)
    folder = run_to_load(warehouse.data_dir, snapshot_date, context.run.run_id)
    if folder is None:
        raise dg.Failure(f"no extraction found for {snapshot_date}; materialise lightsail_raw_pages first")
    manifest = folder.read_manifest()
    results = []

    def check(con):  # runs inside the load's transaction: raising rolls the snapshot back
        results.extend(run_table_checks(con, snapshot_date, manifest, thresholds))
        if blocking_failures(results):
            raise _RolledBack()

    con = warehouse.connect()
    try:
        try:
            inserted = load_run(con, folder, manifest, before_commit=check, publish=False)
        except _RolledBack:
            yield from results
            raise dg.Failure(
                f"snapshot {snapshot_date} rolled back, the previous data stays current: blocking checks failed: "
                + ", ".join(blocking_failures(results))
            ) from None
        unpublished = publish_reader(con)
        if unpublished:
            context.log.warning(f"the snapshot is loaded, but the reader copy was not refreshed: {unpublished}")
        yield from _materializations(con, snapshot_date, manifest, inserted)
        yield from results
    finally:
        con.close()
    if warehouse.keep_runs_days is not None:
        # the run just loaded stays, whatever its date: a backfill can still be replayed until the next prune
        removed = prune_runs(warehouse.data_dir, warehouse.keep_runs_days, dt.datetime.now(dt.timezone.utc).date(),
                             keep_date=snapshot_date)
        if removed:
            context.log.info(f"removed the run folders of {len(removed)} snapshot dates older than "
                             f"{warehouse.keep_runs_days} days ({sum(size for _, size in removed) / 1e6:.1f} MB)")
    failed = failed_pairs(manifest)
    if failed:
        raise dg.Failure(failure_message(manifest), metadata={"regions": region_table(failed)})


def failure_message(manifest):
    """Why a load whose manifest has failed regions ends the run failed: all of them, or which ones."""
    failed = failed_pairs(manifest)
    attempted = [r for r in manifest["regions"] if r["status"] != "skipped"]  # skipped (no Lightsail) is no failure
    if len(failed) == len(attempted):
        return f"every region failed; first error: {failed[0]['error']}"
    names = ", ".join(f"{r['account']}/{r['region']}" for r in failed)
    return f"partial snapshot: {names} failed; previous data, if any, stays current"


class _RolledBack(Exception):
    """A blocking check failed inside the load's transaction."""


def _materializations(con, snapshot_date, manifest, inserted):
    counts = _snapshot_counts(con, snapshot_date)
    summary = dg.MetadataValue.md(run_summary(con, snapshot_date, manifest))
    for name in LOADED_TABLES:
        metadata = {"dagster/row_count": counts[name], "rows_inserted": inserted.get(name, 0)}
        if name == "instances":
            metadata["summary"] = summary
        yield dg.MaterializeResult(asset_key=name, metadata=metadata)


def _snapshot_counts(con, snapshot_date):
    return {
        name: con.execute(f"select count(*) from {q(name)} where snapshot_date = ?", [snapshot_date]).fetchone()[0]
        for name in LOADED_TABLES
    }
