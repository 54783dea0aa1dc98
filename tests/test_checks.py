"""The asset checks on a real load: clean nights pass with their numbers, bad nights fail the right check."""

import copy
import datetime as dt

import pytest

from pipelines.checks import CheckThresholds, blocking_failures, run_table_checks
from pipelines.freshness import freshness
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.load import load_run
from pipelines.resources import LightsailResource
from pipelines.snapshot import extract_run
from pipelines.status import region_status
from pipelines.warehouse import connect
from tests.conftest import FLEET, SNAPSHOT
from tests.warehouse_helpers import ACCOUNT, load_records


def _at(endpoint):
    """The test fleet's resource pointed at another endpoint (Dagster rebuilds resources from their config)."""
    return LightsailResource(regions=list(FLEET.regions), endpoint_url=endpoint.url, max_attempts=3)

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.timezone.utc)


def _load(lightsail, warehouse, snapshot_date):
    folder, manifest = extract_run(lightsail.plan(snapshot_date), warehouse.data_dir)
    con = connect(warehouse.path)
    try:
        load_run(con, folder, manifest, publish=False)
    finally:
        con.close()
    return manifest


@pytest.fixture
def loaded(lightsail, warehouse):
    """(connection, manifest) of one clean snapshot of the 730-instance fleet."""
    manifest = _load(lightsail, warehouse, SNAPSHOT)
    con = connect(warehouse.path)
    yield con, manifest
    con.close()


def _by_name(results):
    return {(r.asset_key.to_user_string(), r.check_name): r for r in results}


def _value(result, key):
    return result.metadata[key].value


def test_a_clean_load_passes_every_check_with_its_numbers(loaded):
    con, manifest = loaded
    results = _by_name(run_table_checks(con, SNAPSHOT, manifest, CheckThresholds()))
    assert all(r.passed for r in results.values()), [k for k, r in results.items() if not r.passed]
    assert len(results) == 14 + 12 + 4  # 14 primary keys, 12 child tables with parents, 4 instance/quarantine checks
    assert _value(results[("instances", "counts_reconcile")], "received") == FLEET.fleet_size
    assert _value(results[("quarantine", "quarantined_records")], "quarantined") == 0
    assert _value(results[("instances", "schema_drift")], "fields") == "none"
    drop = results[("instances", "instance_count_drop")]  # first snapshot of every region: nothing compared
    assert [_value(drop, k) for k in ("regions_compared", "regions_first_snapshot", "previous_instances")] == [0, 3, 0]
    assert blocking_failures(results.values()) == []


def test_duplicate_keys_and_orphans_fail_blocking_checks(loaded):
    con, manifest = loaded
    con.execute("insert into instance_tags select * from instance_tags where snapshot_date = ? limit 1", [SNAPSHOT])
    con.execute(
        "insert into disks by name select * replace ('arn:aws:lightsail:us-east-1:1:Instance/gone' as instance_arn) "
        "from disks where instance_arn = (select instance_arn from disks where snapshot_date = ? group by 1 "
        "having count(*) >= 2 order by 1 limit 1) limit 2", [SNAPSHOT],  # two disks of one instance: still distinct keys
    )
    results = _by_name(run_table_checks(con, SNAPSHOT, manifest, CheckThresholds()))
    assert _value(results[("instance_tags", "primary_key_unique")], "duplicate_keys") == 1
    assert _value(results[("disks", "has_parent")], "orphan_rows") == 2
    assert blocking_failures(results.values()) == ["instance_tags.primary_key_unique", "disks.has_parent"]


def test_quarantine_warns_on_a_few_records_and_blocks_over_its_share(loaded):
    con, manifest = loaded

    def quarantine(n):
        con.execute(
            "insert into quarantine by name select snapshot_date, account_id, region, "
            "10000 + row_number() over () as record_index, arn as instance_arn, '$.hardware.cpuCount' as path, "
            "'not an integer' as reason, '{}' as raw from instances where snapshot_date = ? limit ?",
            [SNAPSHOT, n],
        )
        return _by_name(run_table_checks(con, SNAPSHOT, manifest, CheckThresholds()))[("quarantine", "quarantined_records")]

    few = quarantine(3)
    assert (few.passed, few.severity.value, _value(few, "quarantined")) == (False, "WARN", 3)
    assert blocking_failures([few]) == []
    many = quarantine(40)  # 43 of 730 records: 5.9% > 5%
    assert (many.passed, many.severity.value, _value(many, "share")) == (False, "ERROR", round(43 / 730, 4))
    assert blocking_failures([many]) == ["quarantine.quarantined_records"]


def test_unknown_fields_in_the_manifest_warn_as_schema_drift(loaded):
    con, manifest = loaded
    drifted = copy.deepcopy(manifest)
    drifted["regions"][0]["unknown_fields"] = {"$.newThing": 12, "$.networking.ports[].newFlag": 3}
    drift = _by_name(run_table_checks(con, SNAPSHOT, drifted, CheckThresholds()))[("instances", "schema_drift")]
    assert (drift.passed, drift.severity.value, _value(drift, "unknown_fields")) == (False, "WARN", 2)
    assert _value(drift, "fields") == "$.networking.ports[].newFlag (3 rows), $.newThing (12 rows)"


def test_a_shrinking_fleet_warns_over_the_configured_share(lightsail, warehouse):
    _load(lightsail, warehouse, SNAPSHOT)
    smaller = EndpointConfig(fleet_size=500, regions=FLEET.regions, page_size=FLEET.page_size, seed=FLEET.seed)
    with FakeLightsail(smaller) as endpoint:
        manifest = _load(_at(endpoint), warehouse, SNAPSHOT + dt.timedelta(days=1))
    con = connect(warehouse.path)
    try:
        drop = _by_name(run_table_checks(con, SNAPSHOT + dt.timedelta(days=1), manifest, CheckThresholds()))[("instances", "instance_count_drop")]
        tolerant = _by_name(run_table_checks(con, SNAPSHOT + dt.timedelta(days=1), manifest, CheckThresholds(max_instance_drop_share=0.5)))
    finally:
        con.close()
    assert (drop.passed, drop.severity.value) == (False, "WARN")
    assert (_value(drop, "previous_instances"), _value(drop, "current_instances")) == (730, 500)
    assert _value(drop, "dropped_regions").count(f"on {SNAPSHOT} ->") == 3
    assert tolerant[("instances", "instance_count_drop")].passed


def test_freshness_fails_after_the_window_and_warns_on_a_lagging_region(loaded):
    con, _ = loaded
    loaded_at = con.execute("select max(loaded_at) from snapshots").fetchone()[0]
    fresh = freshness(con, loaded_at + dt.timedelta(hours=1), 36)
    assert (fresh.passed, _value(fresh, "hours_since"), _value(fresh, "lagging_regions")) == (True, 1.0, "none")
    late = freshness(con, loaded_at + dt.timedelta(hours=37), 36)
    assert (late.passed, late.severity.value, _value(late, "hours_since")) == (False, "ERROR", 37.0)
    con.execute("update snapshots set loaded_at = loaded_at - interval 2 days where region = 'eu-west-2'")
    lagging = freshness(con, loaded_at + dt.timedelta(hours=1), 36)
    assert (lagging.passed, lagging.severity.value) == (False, "WARN")
    assert _value(lagging, "lagging_regions").startswith(f"eu-west-2 ({FLEET.account_id}, ")


def test_freshness_does_not_warn_about_a_region_no_run_tries_any_more(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load_records(db, tmp_path, dt.date(2026, 11, 28), {"us-east-1": [], "eu-west-2": []}, run_id="old")
    load_records(db, tmp_path, dt.date(2026, 12, 1), {"us-east-1": []}, run_id="new",
                 started_at=dt.datetime.now(dt.timezone.utc))  # eu-west-2 left the configuration
    con = connect(db)
    try:
        con.execute("update snapshots set loaded_at = loaded_at - interval 3 days where run_id = 'old'")
        con.execute("update extraction_runs set started_at = started_at - interval 3 days where run_id = 'old'")
        now = con.execute("select max(loaded_at) from snapshots").fetchone()[0] + dt.timedelta(hours=1)
        retired = freshness(con, now, 36)
        assert (retired.passed, _value(retired, "lagging_regions")) == (True, "none")
        assert _value(retired, "not_extracted_recently").startswith(f"eu-west-2 ({ACCOUNT}, ")
        columns, rows = region_status(con, now)
        by_region = {row[columns.index("region")]: row[columns.index("freshness")] for row in rows}
        assert by_region == {"eu-west-2": "retired", "us-east-1": "fresh"}
        # Tried again within the window and failing: it lags, and says so.
        con.execute("update extraction_runs set started_at = ?, status = 'failed' where run_id = 'new'", [now])
        con.execute("insert into extraction_runs by name select * replace ('eu-west-2' as region) from extraction_runs where run_id = 'new'")
        lagging = freshness(con, now, 36)
        assert (lagging.passed, lagging.severity.value) == (False, "WARN")
        assert _value(lagging, "lagging_regions").startswith(f"eu-west-2 ({ACCOUNT}, ")
    finally:
        con.close()


def test_freshness_fails_on_an_empty_warehouse(tmp_path):
    con = connect(tmp_path / "empty.duckdb")
    try:
        result = freshness(con, NOW, 36)
    finally:
        con.close()
    assert (result.passed, result.severity.value, _value(result, "latest_loaded_at")) == (False, "ERROR", "never")


def test_freshness_shows_the_regions_status_calls_stale_even_inside_the_window(tmp_path):
    """A region that failed last night is stale (status, report_stale_regions) before it lags behind the window."""
    db = tmp_path / "warehouse.duckdb"
    load_records(db, tmp_path, dt.date(2026, 12, 1), {"us-east-1": [], "eu-west-2": []}, run_id="first")
    load_records(db, tmp_path, dt.date(2026, 12, 2), {"us-east-1": [], "eu-west-2": "AccessDenied"}, run_id="second")
    con = connect(db)
    try:
        now = con.execute("select max(loaded_at) from snapshots").fetchone()[0] + dt.timedelta(hours=1)
        result = freshness(con, now, 36)
        reported = con.execute("select region, account_id from report_stale_regions").fetchall()
    finally:
        con.close()
    assert reported == [("eu-west-2", ACCOUNT)]
    assert (result.passed, _value(result, "lagging_regions"), _value(result, "stale_regions")) == (
        True, "none", f"eu-west-2 ({ACCOUNT})")
