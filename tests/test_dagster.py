"""The Dagster layer end to end: materialise against the local endpoint, checks, metadata, schedules, rollback."""

import dataclasses
import datetime as dt
import json
import math
import re
from pathlib import Path

import dagster as dg
import pydantic
import pytest

from pipelines import status
from pipelines.assets import lightsail_raw_pages, warehouse_tables
from pipelines.checks import CheckThresholds
from pipelines.freshness import snapshots_freshness
from pipelines.definitions import defs
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail, generate_fleet
from pipelines.landing import latest_run
from pipelines.progress import ProgressResource
from pipelines.resources import LightsailResource, WarehouseResource
from pipelines.runner import first_error, run_job
from pipelines.warehouse import connect
from tests.conftest import FLEET, SNAPSHOT, closed_port_url


def _at(endpoint):
    """The test fleet's resource pointed at another endpoint (Dagster rebuilds resources from their config)."""
    return LightsailResource(regions=list(FLEET.regions), endpoint_url=endpoint.url, max_attempts=3)

ASSETS = [lightsail_raw_pages, warehouse_tables, snapshots_freshness]


def _materialize(lightsail, warehouse, snapshot_date, selection=None):
    return dg.materialize(
        ASSETS,
        selection=selection,
        partition_key=snapshot_date.isoformat(),
        resources={"lightsail": lightsail, "warehouse": warehouse, "thresholds": CheckThresholds(), "progress": ProgressResource()},
        raise_on_error=False,
    )


def _metadata(result, asset):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(asset)]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_the_nightly_schedule_requests_the_partition_of_its_tick():
    schedule = defs.resolve_schedule_def("nightly")
    tick = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)
    [request] = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    ).run_requests
    assert (request.partition_key, request.run_key, request.tags["snapshot_date"]) == ("2026-12-03", "2026-12-03", "2026-12-03")
    assert schedule.job_name == "lightsail_warehouse_job"
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_the_freshness_schedule_runs_the_check_job():
    schedule = defs.resolve_schedule_def("freshness_hourly")
    job = defs.resolve_job_def(schedule.job_name)
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert [k.to_user_string() for k in job.asset_layer.asset_graph.asset_check_keys] == ["snapshots:freshness"]


def test_materialising_everything_passes_every_check_with_row_counts_and_summary(lightsail, warehouse, fleet):
    result = _materialize(lightsail, warehouse, SNAPSHOT)
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert len(checks) == 31 and all(e.passed for e in checks.values())
    assert checks[("instances", "counts_reconcile")].metadata["received"].value == FLEET.fleet_size
    assert checks[("snapshots", "freshness")].metadata["stale_regions"].value == "none"

    raw = _metadata(result, "lightsail_raw_pages")
    assert raw["instances_received"] == FLEET.fleet_size
    assert raw["pages"] == sum(math.ceil(len(records) / FLEET.page_size) for records in fleet.values())
    con = connect(warehouse.path, read_only=True)
    try:
        for table in ("instances", "disks", "firewall_ports", "snapshots", "extraction_runs", "quarantine"):
            expected = con.execute(f'select count(*) from "{table}" where snapshot_date = ?', [SNAPSHOT]).fetchone()[0]
            assert _metadata(result, table)["dagster/row_count"] == expected
    finally:
        con.close()
    assert _metadata(result, "instances")["dagster/row_count"] == FLEET.fleet_size
    assert _metadata(result, "snapshots")["dagster/row_count"] == len(FLEET.regions)

    summary = _metadata(result, "instances")["summary"]
    per_region = {region: len(records) for region, records in fleet.items()}
    for region, n in per_region.items():
        assert f"| {region} |" in summary and f"| {n} |" in summary
    assert f"| {FLEET.fleet_size} |" in summary  # the total
    assert "(first snapshot)" in summary and "quarantined records: **0**" in summary
    imdsv1 = sum(1 for rs in fleet.values() for r in rs
                 if r.get("metadataOptions", {}).get("httpTokens") == "optional"
                 and r["metadataOptions"].get("httpEndpoint") != "disabled")
    assert f"instances still allowing IMDSv1: **{imdsv1}**" in summary


def test_the_assets_show_descriptions_kinds_and_column_schemas():
    graph = defs.resolve_asset_graph()
    instances = graph.get(dg.AssetKey("instances"))
    assert instances.description.startswith("One row per instance per snapshot")
    assert instances.kinds == {"duckdb"} and instances.group_name == "warehouse" and instances.owners == ["team:platform"]
    columns = instances.metadata["dagster/column_schema"].columns
    assert [c.name for c in columns[:4]] == ["snapshot_date", "account_id", "region", "arn"]
    assert columns[3].type == "VARCHAR" and columns[3].constraints.nullable is False
    assert graph.get(dg.AssetKey("lightsail_raw_pages")).kinds == {"aws", "json"}


def test_a_blocking_check_rolls_the_snapshot_back(lightsail, warehouse):
    assert _materialize(lightsail, warehouse, SNAPSHOT).success
    next_day = SNAPSHOT + dt.timedelta(days=1)
    assert _materialize(lightsail, warehouse, next_day, selection=[lightsail_raw_pages]).success
    folder = latest_run(warehouse.data_dir, next_day)
    manifest = folder.read_manifest()
    manifest["regions"][0]["received"] += 1  # the extraction claims a record that never reached staging
    (folder.path / "manifest.json").write_text(json.dumps(manifest))

    result = _materialize(lightsail, warehouse, next_day, selection=[warehouse_tables])
    assert not result.success
    assert first_error(result.all_events) == (
        f"snapshot {next_day} rolled back, the previous data stays current: blocking checks failed: instances.counts_reconcile"
    )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key.to_user_string(), e.check_name) for e in failed] == [("instances", "counts_reconcile")]
    con = connect(warehouse.path, read_only=True)
    try:
        assert con.execute("select distinct snapshot_date from snapshots").fetchall() == [(SNAPSHOT,)]
        assert con.execute("select count(*) from current_instances").fetchone()[0] == FLEET.fleet_size
    finally:
        con.close()


def test_a_failing_region_fails_the_run_in_one_line_and_keeps_its_last_good_data(lightsail, warehouse):
    assert run_job(lightsail, warehouse, SNAPSHOT) == (True, None)
    config = EndpointConfig(fleet_size=FLEET.fleet_size, regions=FLEET.regions, page_size=FLEET.page_size,
                            seed=FLEET.seed, failing_regions=("eu-west-2",))
    next_day = SNAPSHOT + dt.timedelta(days=1)
    with FakeLightsail(config) as endpoint:
        ok, error = run_job(_at(endpoint), warehouse, next_day)
    assert (ok, error) == (False, "partial snapshot: default/eu-west-2 failed; previous data, if any, stays current")
    con = connect(warehouse.path, read_only=True)
    try:
        current = dict(con.execute("select region, snapshot_date from current_snapshots").fetchall())
    finally:
        con.close()
    assert current == {"us-east-1": next_day, "ap-southeast-2": next_day, "eu-west-2": SNAPSHOT}


def test_a_run_where_every_region_fails_says_so(warehouse):
    config = EndpointConfig(fleet_size=30, regions=FLEET.regions, failing_regions=FLEET.regions)
    with FakeLightsail(config) as endpoint:
        ok, error = run_job(_at(endpoint), warehouse, SNAPSHOT)
    assert not ok
    assert error.startswith("every region failed; first error: AccessDeniedException: An error occurred (AccessDeniedException)")
    assert "\n" not in error
    manifest = latest_run(warehouse.data_dir, SNAPSHOT).read_manifest()
    assert manifest["warnings"] == []  # the failures say why no id was learnt: no advice to give one
    con = connect(warehouse.path, read_only=True)
    try:
        runs = con.execute("select account_id, account, region, status from extraction_runs order by region").fetchall()
        assert runs == [("unknown", "default", region, "failed") for region in sorted(FLEET.regions)]
        assert con.execute("select count(*) from snapshots").fetchone() == (0,)
        stale = con.execute("select region, last_good_snapshot, stale_since from report_stale_regions order by region").fetchall()
        assert stale == [(region, None, SNAPSHOT) for region in sorted(FLEET.regions)]
    finally:
        con.close()


def test_failures_under_an_unknown_account_id_are_not_stale_once_a_later_run_tells_the_id(lightsail, warehouse, fleet):
    config = EndpointConfig(fleet_size=30, regions=FLEET.regions, failing_regions=FLEET.regions)
    with FakeLightsail(config) as endpoint:
        assert not run_job(_at(endpoint), warehouse, NEXT_DAY)[0]  # recorded under 'unknown'
    assert run_job(lightsail, warehouse, SNAPSHOT) == (True, None)  # the ARNs served tell the id, for an earlier day
    con = connect(warehouse.path, read_only=True)
    try:  # that good run does not cover the failed day: still stale
        stale = con.execute("select account_id, region, latest_failed_snapshot from report_stale_regions order by all").fetchall()
    finally:
        con.close()
    assert stale == [("unknown", r, NEXT_DAY) for r in sorted(FLEET.regions)]
    assert run_job(lightsail, warehouse, NEXT_DAY) == (True, None)
    con = connect(warehouse.path, read_only=True)
    try:
        # no snapshot will ever come under 'unknown': those failures were not left waiting for one
        assert con.execute("select * from report_stale_regions").fetchall() == []
        _, rows = status.region_status(con, dt.datetime.now(dt.timezone.utc))
    finally:
        con.close()
    regions = sorted(FLEET.regions)
    assert [(r[0], r[1], r[2], r[-2]) for r in rows] == (
        [(FLEET.account_id, r, "ok", "fresh") for r in regions] + [("unknown", r, "failed", "superseded") for r in regions]
    )


def _every_region_fails_after_a_good_night(warehouse, good, bad):
    """Night 1 loads through `good`; night 2 every region fails through `bad`: (error, what night 2 left)."""
    assert run_job(good, warehouse, SNAPSHOT) == (True, None)
    ok, error = run_job(bad, warehouse, NEXT_DAY)
    assert not ok
    con = connect(warehouse.path, read_only=True)
    try:
        return error, {
            "runs": con.execute("select account_id, region, status, error from extraction_runs where snapshot_date = ? "
                                "order by region", [NEXT_DAY]).fetchall(),
            "current": con.execute("select region, snapshot_date, count(*) from current_instances group by all order by all").fetchall(),
            "stale": con.execute("select account_id, region, last_good_snapshot, stale_since from report_stale_regions "
                                 "order by region").fetchall(),
        }
    finally:
        con.close()


NEXT_DAY = SNAPSHOT + dt.timedelta(days=1)


def test_a_night_where_every_region_fails_is_recorded_and_the_last_good_data_stays_current(lightsail, warehouse, fleet):
    with FakeLightsail(dataclasses.replace(FLEET, failing_regions=FLEET.regions)) as denied:
        error, night = _every_region_fails_after_a_good_night(warehouse, lightsail, _at(denied))
    regions = sorted(FLEET.regions)
    assert error.startswith("every region failed; first error: AccessDeniedException")
    # No STS and no instance tonight: the account id is the one the fleet's ARNs gave on night 1.
    assert [(a, r, s) for a, r, s, _ in night["runs"]] == [(FLEET.account_id, r, "failed") for r in regions]
    assert all("AccessDeniedException" in e for *_, e in night["runs"])
    assert night["current"] == [(r, SNAPSHOT, len(fleet[r])) for r in regions]
    assert night["stale"] == [(FLEET.account_id, r, SNAPSHOT, NEXT_DAY) for r in regions]


def test_an_unreachable_endpoint_or_unknown_profile_is_recorded_as_a_failed_night(lightsail, warehouse, fleet, tmp_path):
    regions = sorted(FLEET.regions)
    unreachable = LightsailResource(regions=regions, endpoint_url=closed_port_url(), max_attempts=1)
    error, night = _every_region_fails_after_a_good_night(warehouse, lightsail, unreachable)
    assert error.startswith("every region failed; first error: EndpointConnectionError: Could not connect")
    assert [(a, r, s) for a, r, s, _ in night["runs"]] == [(FLEET.account_id, r, "failed") for r in regions]
    assert night["stale"] == [(FLEET.account_id, r, SNAPSHOT, NEXT_DAY) for r in regions]

    other = WarehouseResource(path=str(tmp_path / "other.duckdb"), data_dir=str(tmp_path / "other"), lock_timeout_s=5)
    no_profile = LightsailResource(regions=regions, endpoint_url=lightsail.endpoint_url, profile="no-such-profile")
    error, night = _every_region_fails_after_a_good_night(other, lightsail, no_profile)
    assert error.startswith("every region failed; first error: AccountUnavailable: ProfileNotFound: ")
    assert [(a, r, s) for a, r, s, _ in night["runs"]] == [(FLEET.account_id, r, "failed") for r in regions]
    assert night["current"] == [(r, SNAPSHOT, len(fleet[r])) for r in regions]


def test_the_summary_of_a_second_night_counts_new_and_removed_instances(lightsail, warehouse, fleet):
    assert _materialize(lightsail, warehouse, SNAPSHOT).success
    smaller = EndpointConfig(fleet_size=500, regions=FLEET.regions, page_size=FLEET.page_size, seed=FLEET.seed)
    next_day = SNAPSHOT + dt.timedelta(days=1)
    with FakeLightsail(smaller) as endpoint:
        result = _materialize(_at(endpoint), warehouse, next_day)
    assert result.success  # a shrinking fleet only warns
    [drop] = [e for e in result.get_asset_check_evaluations() if e.check_name == "instance_count_drop"]
    assert (drop.passed, drop.severity) == (False, dg.AssetCheckSeverity.WARN)

    tonight = generate_fleet(500, list(FLEET.regions), FLEET.seed, FLEET.account_id)
    summary = _metadata(result, "instances")["summary"]
    for region in FLEET.regions:
        before, after = {r["arn"] for r in fleet[region]}, {r["arn"] for r in tonight[region]}
        row = (f"| {FLEET.account_id} | {region} | {SNAPSHOT} | {len(before)} | {len(after)} "
               f"| +{len(after - before)} | -{len(before - after)} |")
        assert row in summary


@pytest.mark.parametrize("resource, settings, says", [
    (LightsailResource, {"retry_mode": "bogus"}, "retry_mode"),
    (LightsailResource, {"max_attempts": 0}, "max_attempts"),
    (LightsailResource, {"page_retries": -1}, "page_retries"),
    (LightsailResource, {"page_backoff_s": -1}, "page_backoff_s"),
    (LightsailResource, {"max_workers": 0}, "max_workers"),
    (LightsailResource, {"endpoint_url": "not a url"}, "endpoint_url"),
    (LightsailResource, {"accounts": [{"name": "../../evil"}]}, "accounts.0.name"),
    (LightsailResource, {"accounts": [{"name": "/abs"}]}, "accounts.0.name"),
    (WarehouseResource, {"lock_timeout_s": -5}, "lock_timeout_s"),
    (WarehouseResource, {"path": ""}, "path"),
    (CheckThresholds, {"max_instance_drop_share": -1}, "max_instance_drop_share"),
    (CheckThresholds, {"quarantine_error_share": 5}, "quarantine_error_share"),
    (CheckThresholds, {"fresh_hours": 0}, "fresh_hours"),
    (ProgressResource, {"interval_s": 0}, "interval_s"),
])
def test_settings_that_cannot_work_are_refused_before_a_run_starts(resource, settings, says):
    with pytest.raises(pydantic.ValidationError, match=re.escape(says)):
        resource(**settings)


def test_two_accounts_of_the_same_name_are_refused_before_anything_is_read(warehouse):
    twice = LightsailResource(regions=["us-east-1"], accounts=[{"name": "ops", "profile": "a"}, {"name": "OPS", "profile": "b"}])
    with pytest.raises(ValueError, match="given more than once: ops"):
        twice.plan(SNAPSHOT)
    ok, error = run_job(twice, warehouse, SNAPSHOT)
    assert not ok and "given more than once: ops" in error
    assert not (Path(warehouse.data_dir) / "runs").exists()
