"""History: current views across snapshots, change tracking between consecutive snapshots (an emptied region too),
schema evolution."""

import datetime as dt
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import warehouse
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.landing import latest_run
from pipelines.load import load_run
from pipelines.resources import LightsailResource, WarehouseResource
from pipelines.runner import run_job
from pipelines.warehouse import connect, ensure_tables
from schemas import TABLES
from tests.warehouse_helpers import ACCOUNT, assert_views_work, disk, instance, load_records, port, query, stage_run

DAY1, DAY2, DAY3 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)
ARN = f"arn:aws:lightsail:us-east-1:{ACCOUNT}:Instance/"
EU_ARN = f"arn:aws:lightsail:eu-west-2:{ACCOUNT}:Instance/"


def test_current_views_show_the_latest_complete_snapshot_of_each_region(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": [instance("a"), instance("b")], "eu-west-2": [instance("c", "eu-west-2")]})
    load_records(db, root, DAY2, {"us-east-1": [instance("a", state="stopped")], "eu-west-2": "AccessDenied"})

    assert query(db, "select region, snapshot_date, name, state_name from current_instances order by region") == [
        ("eu-west-2", DAY1, "c", "running"),
        ("us-east-1", DAY2, "a", "stopped"),
    ]
    assert query(db, "select region, snapshot_date from current_snapshots order by region") == [
        ("eu-west-2", DAY1), ("us-east-1", DAY2),
    ]
    assert query(db, "select snapshot_date, count(*) from instances group by 1 order by 1") == [(DAY1, 3), (DAY2, 1)]
    assert query(db, "select region, count(*) from current_disks group by 1 order by 1") == [("eu-west-2", 1), ("us-east-1", 1)]


def _day1():
    a = instance(
        "a", tokens="optional", data_disks=[disk("d1", 32)],
        ports=[port(22), port(80), port(5432, cidrs=["10.0.0.0/8", "172.16.0.0/12"]), port(9000, cidrs=["1.1.1.1/32"])],
    )
    b = instance("b", ports=[port(443, cidrs=["10.0.0.0/8"]), port(8080)])
    return {
        "us-east-1": [a, b, instance("c")],
        "eu-west-2": [instance("e", "eu-west-2")],
    }


def _day2():
    a = instance(
        "a", state="stopped", public_ip=None, tokens="required", data_disks=[disk("d2", 64)],
        ports=[port(22), port(80, 90), port(5432, cidrs=["10.0.0.0/8"]), port(9000, cidrs=["2.2.2.2/32"])],
    )
    b = instance(
        "b", blueprint="debian_12", bundle="small_3_0", static_ip=True,
        ports=[port(443, cidrs=["10.0.0.0/8"], aliases=["lightsail-connect"]), port(3389, cidrs=["1.2.3.4/32"])],
    )
    return {"us-east-1": [a, b, instance("d")], "eu-west-2": "AccessDenied"}


def _day3():
    day2 = _day2()
    return {"us-east-1": day2["us-east-1"], "eu-west-2": [instance("e", "eu-west-2", state="stopped")]}


def _three_days(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    for day, regions in ((DAY1, _day1()), (DAY2, _day2()), (DAY3, _day3())):
        load_records(db, root, day, regions)
    return db


def test_instances_added_and_removed_between_consecutive_snapshots(tmp_path):
    db = _three_days(tmp_path)
    assert query(db, "select * from instance_changes order by all") == [
        (ACCOUNT, "us-east-1", DAY2, DAY1, "added", ARN + "d", "d"),
        (ACCOUNT, "us-east-1", DAY2, DAY1, "removed", ARN + "c", "c"),
    ]


def test_field_changes_old_to_new_per_instance(tmp_path):
    db = _three_days(tmp_path)
    rows = query(
        db,
        "select region, snapshot_date, previous_date, instance_name, field, change, old_value, new_value "
        "from instance_field_changes order by all",
    )
    d2 = ("us-east-1", DAY2, DAY1)
    assert sorted(rows, key=_text) == sorted([
        (*d2, "a", "state_name", "changed", "running", "stopped"),
        (*d2, "a", "public_ip_address", "changed", "52.0.0.1", None),
        (*d2, "a", "metadata_http_tokens", "changed", "optional", "required"),
        (*d2, "a", "disk", "detached", "d1 (32 GB, /dev/xvdf)", None),
        (*d2, "a", "disk", "attached", None, "d2 (64 GB, /dev/xvdf)"),
        (*d2, "a", "firewall_rule", "widened", "inbound tcp 80 from 0.0.0.0/0", "inbound tcp 80-90 from 0.0.0.0/0"),
        (*d2, "a", "firewall_rule", "narrowed", "inbound tcp 5432 from 10.0.0.0/8, 172.16.0.0/12", "inbound tcp 5432 from 10.0.0.0/8"),
        (*d2, "a", "firewall_rule", "changed", "inbound tcp 9000 from 1.1.1.1/32", "inbound tcp 9000 from 2.2.2.2/32"),
        (*d2, "b", "blueprint_id", "changed", "ubuntu_22_04", "debian_12"),
        (*d2, "b", "bundle_id", "changed", "micro_3_0", "small_3_0"),
        (*d2, "b", "is_static_ip", "changed", "false", "true"),
        (*d2, "b", "firewall_rule", "widened", "inbound tcp 443 from 10.0.0.0/8", "inbound tcp 443 from 10.0.0.0/8, lightsail-connect"),
        (*d2, "b", "firewall_rule", "closed", "inbound tcp 8080 from 0.0.0.0/0", None),
        (*d2, "b", "firewall_rule", "opened", None, "inbound tcp 3389 from 1.2.3.4/32"),
        # eu-west-2 failed on day 2: day 3 is compared with day 1, its last complete snapshot
        ("eu-west-2", DAY3, DAY1, "e", "state_name", "changed", "running", "stopped"),
    ], key=_text)
    con = connect(db, read_only=True)
    assert_views_work(con)
    con.close()


def _text(row):
    return tuple("" if v is None else str(v) for v in row)


def test_a_new_column_migrates_the_warehouse_and_keeps_history(tmp_path):
    """Version 1 lacks instances.system_status_details_count; version 2 adds it: day 1 keeps NULL there."""
    db, root, new = tmp_path / "w.duckdb", tmp_path / "data", "system_status_details_count"
    old_tables = dict(TABLES, instances=TABLES["instances"].remove(TABLES["instances"].get_field_index(new)))
    folder, manifest = stage_run(root, DAY1, {"us-east-1": [instance("a"), instance("b")]})
    staged = folder.staged_dir("default", "us-east-1") / "instances" / "part-00000.parquet"
    pq.write_table(pq.read_table(staged).drop_columns([new]), staged)  # what version 1 staged

    con = connect(db)
    ensure_tables(con, old_tables)
    load_run(con, folder, manifest, tables=old_tables)
    assert new not in [c for (c,) in con.execute("select column_name from (describe instances)").fetchall()]
    con.close()

    load_records(db, root, DAY2, {"us-east-1": [instance("a"), instance("c")]})  # version 2

    assert query(db, f"select snapshot_date, name, {new} from instances order by all") == [
        (DAY1, "a", None), (DAY1, "b", None), (DAY2, "a", 1), (DAY2, "c", 1),
    ]
    assert query(db, f"select name, {new} from current_instances order by name") == [("a", 1), ("c", 1)]
    assert query(db, "select change, instance_name from instance_changes order by all") == [("added", "c"), ("removed", "b")]
    con = connect(db, read_only=True)
    assert_views_work(con)
    con.close()


def test_a_view_that_fails_to_build_rolls_the_load_back_and_leaves_the_views_working(tmp_path, monkeypatch):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": [instance("a")]})
    sql = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, sql)
    (sql / "views" / "zz_broken.sql").write_text("create or replace view zz_broken as select no_such_column from instances")
    monkeypatch.setattr(warehouse, "SQL_DIR", sql)
    with pytest.raises(duckdb.BinderException):
        load_records(db, root, DAY2, {"us-east-1": [instance("a"), instance("b")]})
    assert query(db, "select snapshot_date, name from current_instances") == [(DAY1, "a")]
    con = connect(db, read_only=True)
    assert_views_work(con)
    con.close()



def _night(tmp_path, sizes, day):
    """One night through the real job against an endpoint serving `sizes` (region -> instances), with no STS
    behind it (account ids come from the ARNs served); returns the run's manifest."""
    config = EndpointConfig(regions=tuple(sizes), region_sizes=tuple(sizes.values()), page_size=4, seed=3)
    target = WarehouseResource(path=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"), lock_timeout_s=5)
    with FakeLightsail(config) as fake:
        assert run_job(LightsailResource(regions=list(sizes), endpoint_url=fake.url), target, day) == (True, None)
    return latest_run(target.data_dir, day).read_manifest()


def _removals_and_current(db, region):
    removed = query(db, "select account_id, snapshot_date, previous_date, instance_arn from instance_changes "
                        "where region = ? and change = 'removed' order by all", [region])
    day1 = query(db, "select account_id, ?::date, snapshot_date, arn from instances where region = ? order by all", [DAY2, region])
    current = query(db, "select account_id, snapshot_date, instances from current_snapshots "
                        "join snapshots using (account_id, region, snapshot_date) where region = ?", [region])
    return removed, day1, current


def test_a_region_that_became_empty_shows_no_instances_and_its_removals(tmp_path):
    """No STS: the emptied region has no ARN of its own; it takes its account's id from the run's other region."""
    db = tmp_path / "w.duckdb"
    _night(tmp_path, {"us-east-1": 5, "eu-west-2": 7}, DAY1)
    manifest = _night(tmp_path, {"us-east-1": 5, "eu-west-2": 0}, DAY2)
    assert {r["account_id"] for r in manifest["regions"]} == {ACCOUNT} and manifest["warnings"] == []
    removed, day1, current = _removals_and_current(db, "eu-west-2")
    assert len(removed) == 7 and removed == day1
    assert current == [(ACCOUNT, DAY2, 0)]
    assert query(db, "select count(*) from current_instances where region = 'eu-west-2'") == [(0,)]
    assert query(db, "select distinct account_id from extraction_runs") == [(ACCOUNT,)]  # listed once, not twice


def test_an_account_whose_every_region_is_empty_keeps_the_id_of_its_earlier_snapshots(tmp_path):
    db = tmp_path / "w.duckdb"
    _night(tmp_path, {"us-east-1": 5, "eu-west-2": 7}, DAY1)
    manifest = _night(tmp_path, {"us-east-1": 0, "eu-west-2": 0}, DAY2)
    assert {r["account_id"] for r in manifest["regions"]} == {ACCOUNT} and manifest["warnings"] == []
    for region, size in (("us-east-1", 5), ("eu-west-2", 7)):
        removed, day1, current = _removals_and_current(db, region)
        assert len(removed) == size and removed == day1
        assert current == [(ACCOUNT, DAY2, 0)]
    assert query(db, "select count(*) from current_instances") == [(0,)]


def test_an_account_id_nothing_reveals_is_unknown_with_a_warning_saying_how_to_give_it(tmp_path):
    manifest = _night(tmp_path, {"us-east-1": 0}, DAY1)
    assert [r["account_id"] for r in manifest["regions"]] == ["unknown"]
    [warning] = manifest["warnings"]
    assert warning.startswith("account 'default': no account id") and "--account-id or lightsail.account_id" in warning


def test_a_region_whose_first_page_is_empty_takes_the_account_id_from_a_later_page(tmp_path):
    """Empty pages happen (instances deleted while listing): the id comes from the first ARN served, not page 0."""
    import orjson

    from pipelines.fake_endpoint.pages import PageStore

    sizes = {"us-east-1": 37, "eu-west-2": 23}
    day = next(d for d in range(1, 200) if orjson.loads(
        PageStore(sizes, 1, 3, "123456789012", 1 << 30, day=d).page("eu-west-2", 0, True))["instances"] == [])
    config = EndpointConfig(regions=tuple(sizes), region_sizes=tuple(sizes.values()), page_size=1, seed=3, day=day)
    target = WarehouseResource(path=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"), lock_timeout_s=5)
    with FakeLightsail(config) as fake:
        assert run_job(LightsailResource(regions=list(sizes), endpoint_url=fake.url), target, DAY1) == (True, None)
        served = {r: fake.request_counts[(r, "GetInstances")] for r in sizes}
    manifest = latest_run(target.data_dir, DAY1).read_manifest()
    assert manifest["warnings"] == []
    assert {r["region"]: r["account_id"] for r in manifest["regions"]} == {r: "123456789012" for r in sizes}
    assert {r["region"]: r["pages"] for r in manifest["regions"]} == served  # every page landed and staged, page 0 too
    rows = query(str(tmp_path / "w.duckdb"), "select account_id, region, count(*) from current_instances group by all order by all")
    assert [(a, r) for a, r, _ in rows] == [("123456789012", "eu-west-2"), ("123456789012", "us-east-1")]


def test_a_night_without_health_status_is_not_a_health_change_and_hides_none(tmp_path):
    """`--no-health-status` leaves the health columns null: that night did not ask, nothing changed; the next
    night with health is compared with the last one that had it."""
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    unasked = instance("a")
    del unasked["instanceStatus"], unasked["systemStatus"]
    load_records(db, root, DAY1, {"us-east-1": [instance("a"), instance("b")]})
    load_records(db, root, DAY2, {"us-east-1": [unasked, instance("b", health="impaired")]})
    load_records(db, root, DAY3, {"us-east-1": [instance("a", system_health="impaired"), instance("b", health="impaired")]})
    assert query(db, "select snapshot_date, previous_date, instance_name, field, old_value, new_value "
                     "from instance_field_changes order by all") == [
        (DAY2, DAY1, "b", "instance_status", "ok", "impaired"),
        (DAY3, DAY1, "a", "system_status", "ok", "impaired"),  # across the night without health
    ]
    assert query(db, "select snapshot_date, name, instance_status, system_status from instances where name = 'a' "
                     "order by all") == [(DAY1, "a", "ok", "ok"), (DAY2, "a", None, None), (DAY3, "a", "ok", "impaired")]


def test_a_closed_rule_covered_by_two_new_ones_is_widened_into_the_narrowest_and_the_other_is_opened(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": [instance("a", ports=[port(80)])]})
    load_records(db, root, DAY2, {"us-east-1": [instance("a", ports=[port(0, 65535), port(80, 90)])]})
    assert query(db, "select change, old_value, new_value from firewall_rule_changes order by all") == [
        ("opened", None, "inbound tcp 0-65535 from 0.0.0.0/0"),
        ("widened", "inbound tcp 80 from 0.0.0.0/0", "inbound tcp 80-90 from 0.0.0.0/0"),
    ]
