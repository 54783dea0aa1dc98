"""Reports (`sql/reports/report_*.sql`) on a small hand-built fleet, each checked against hand-computed rows."""

import datetime as dt

import pytest

from pipelines.warehouse import SQL_DIR, connect
from tests.warehouse_helpers import ACCOUNT, assert_views_work, disk, instance, load_records, port, query

DAY1, DAY2, DAY3 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)
UTC = dt.timezone.utc
DISABLED_SNAPSHOT = {"name": "AutoSnapshot", "status": "Disabled", "snapshotTimeOfDay": "06:00"}


def _us_east_1():
    return [
        instance("web-1", cpu=2, ram=1.0, ports=[port(22, ipv6=["::/0"]), port(80)], tags=[("env", "prod"), ("owner", "alice")],
                 data_disks=[disk("d-web", 64)]),
        instance("db-1", state="stopped", bundle="small_3_0", blueprint="debian_12", cpu=2, ram=2.0, system_disk_gb=60,
                 ports=[port(5432, cidrs=["10.0.0.0/8"]), port(22, cidrs=[], aliases=["lightsail-connect"])],
                 tokens="optional", add_ons=[], tags=[("Env", "prod")], data_disks=[disk("d-db", 128, attached=False)]),
        instance("win-1", bundle="medium_win_3_0", blueprint="windows_server_2022", cpu=4, ram=8.0, system_disk_gb=80,
                 ports=[port(3389), port(0, 65535, "all", cidrs=[], ipv6=["::/0"])],
                 tokens="optional", imds_endpoint="disabled", add_ons=[DISABLED_SNAPSHOT], health="impaired"),
    ]


def _eu_west_2():
    return [instance("api-1", "eu-west-2", cpu=1, ram=0.5, tags=[("env", "prod"), ("owner", "bob")], system_health="impaired",
                     ports=[port(1000, 2000), port(20, 30, "udp")])]


def _ap_southeast_2():
    return [instance("old-1", "ap-southeast-2", system_disk_gb=20, ports=[port(22, cidrs=["10.0.0.0/8"])],
                     tags=[("env", "dev"), ("owner", "carol")])]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Day 1 all good; ap-southeast-2 fails on days 2 and 3; eu-west-2 fails on day 3, then a rerun succeeds."""
    tmp = tmp_path_factory.mktemp("reports")
    db, root = tmp / "w.duckdb", tmp / "data"
    good = {"us-east-1": _us_east_1(), "eu-west-2": _eu_west_2()}
    load_records(db, root, DAY1, {**good, "ap-southeast-2": _ap_southeast_2()})
    load_records(db, root, DAY2, {**good, "ap-southeast-2": "AccessDeniedException: denied"})
    load_records(db, root, DAY3, {**good, "eu-west-2": "EndpointConnectionError", "ap-southeast-2": "AccessDeniedException: denied"})
    load_records(db, root, DAY3, {**good, "ap-southeast-2": "ThrottlingException: Rate exceeded"},
                 started_at=dt.datetime(2026, 12, 3, 3, tzinfo=UTC))
    return db


def test_every_report_file_is_a_queryable_view(db):
    names = {f.stem for f in (SQL_DIR / "reports").glob("*.sql")}
    assert all(name.startswith("report_") for name in names)
    views = {n for (n,) in query(db, "select view_name from duckdb_views() where view_name like 'report%'")}
    assert names <= views
    con = connect(db, read_only=True)
    assert_views_work(con)
    con.close()


def test_fleet_by_region_bundle_blueprint_and_state(db):
    rows = query(db, "select dimension, value, instances, vcpus, ram_gb from report_fleet where account_id = ?", [ACCOUNT])
    assert rows == [  # in the report's own order: CSV read-outs do not churn from night to night
        ("blueprint", "debian_12", 1, 2, 2.0),
        ("blueprint", "ubuntu_22_04", 3, 5, 2.5),  # web-1, api-1, old-1
        ("blueprint", "windows_server_2022", 1, 4, 8.0),
        ("bundle", "medium_win_3_0", 1, 4, 8.0),
        ("bundle", "micro_3_0", 3, 5, 2.5),
        ("bundle", "small_3_0", 1, 2, 2.0),
        ("region", "ap-southeast-2", 1, 2, 1.0),  # its day 1 data is still current
        ("region", "eu-west-2", 1, 1, 0.5),
        ("region", "us-east-1", 3, 8, 11.0),
        ("state", "running", 4, 9, 10.5),
        ("state", "stopped", 1, 2, 2.0),
    ]


def test_capacity_by_region(db):
    assert query(db, "select region, snapshot_date, instances, vcpus, ram_gb, disks, storage_gb from report_capacity_by_region") == [
        ("ap-southeast-2", DAY1, 1, 2, 1.0, 1, 20),
        ("eu-west-2", DAY3, 1, 1, 0.5, 1, 40),
        ("us-east-1", DAY3, 3, 8, 11.0, 5, 40 + 64 + 60 + 128 + 80),
    ]


def test_firewall_exposure_lists_world_open_rules_riskiest_first(db):
    rows = query(db, "select instance_name, protocol, from_port, to_port, open_to, covers_ssh, covers_rdp, all_protocols "
                     "from report_firewall_exposure")
    assert rows == [
        ("win-1", "all", 0, 65535, ["::/0"], True, True, True),
        ("web-1", "tcp", 22, 22, ["0.0.0.0/0", "::/0"], True, False, False),
        ("win-1", "tcp", 3389, 3389, ["0.0.0.0/0"], False, True, False),
        ("api-1", "tcp", 1000, 2000, ["0.0.0.0/0"], False, False, False),
        ("api-1", "udp", 20, 30, ["0.0.0.0/0"], False, False, False),  # udp: not ssh
        ("web-1", "tcp", 80, 80, ["0.0.0.0/0"], False, False, False),
    ]


def test_alias_only_rules_are_listed_apart(db):
    assert query(db, "select instance_name, port_index, protocol, from_port, cidr_list_aliases from report_firewall_alias_only_rules") == [
        ("db-1", 1, "tcp", 22, ["lightsail-connect"]),
    ]


def test_imdsv1_allowed(db):
    # win-1 has tokens optional but its metadata endpoint is disabled: no IMDSv1 there
    assert query(db, "select instance_name, metadata_http_tokens, metadata_http_endpoint from report_imdsv1_allowed") == [
        ("db-1", "optional", "enabled"),
    ]


def test_instances_without_enabled_auto_snapshot(db):
    assert query(db, "select instance_name, auto_snapshot_status from report_no_auto_snapshot") == [
        ("db-1", None), ("win-1", "Disabled"),
    ]


def test_unattached_disks(db):
    assert query(db, "select instance_name, disk_name, size_in_gb, state from report_unattached_disks") == [
        ("db-1", "d-db", 128, "available"),
    ]


def test_missing_required_tags_follow_the_settings_table(db):
    assert query(db, "select key from required_tag_keys order by key") == [("env",), ("owner",)]
    assert query(db, "select region, instance_name, missing_keys from report_missing_required_tags") == [
        ("us-east-1", "db-1", ["owner"]),  # `Env` counts for env: keys compare case-insensitively
        ("us-east-1", "win-1", ["env", "owner"]),
    ]
    con = connect(db)
    con.execute("delete from required_tag_keys where key = 'owner'")
    con.execute("insert into required_tag_keys values ('Team')")
    con.close()
    load_records(db, db.parent / "data", DAY3, {"us-east-1": _us_east_1()})  # a later load keeps the settings
    assert query(db, "select key from required_tag_keys order by key") == [("Team",), ("env",)]
    assert query(db, "select region, instance_name, missing_keys from report_missing_required_tags") == [
        ("ap-southeast-2", "old-1", ["team"]),
        ("eu-west-2", "api-1", ["team"]),
        ("us-east-1", "db-1", ["team"]),
        ("us-east-1", "web-1", ["team"]),
        ("us-east-1", "win-1", ["env", "team"]),
    ]


def test_impaired_health(db):
    assert query(db, "select instance_name, instance_status, system_status, failed_checks, impaired_since from report_impaired_health order by region") == [
        ("api-1", "ok", "impaired", ["system:reachability"], dt.datetime(2026, 11, 30, 8, tzinfo=UTC)),
        ("win-1", "impaired", "ok", ["instance:reachability"], dt.datetime(2026, 11, 30, 10, tzinfo=UTC)),
    ]


def test_stale_regions_say_which_and_since_when(db):
    rows = query(db, "select account_id, region, last_good_snapshot, stale_since, failing_since, latest_failed_snapshot, "
                     "failed_attempts, latest_error from report_stale_regions")
    # eu-west-2 failed on day 3 too, but the rerun of day 3 succeeded: it is not stale
    assert rows == [
        (ACCOUNT, "ap-southeast-2", DAY1, DAY2, dt.datetime(2026, 12, 2, 2, tzinfo=UTC), DAY3, 3,
         "ThrottlingException: Rate exceeded"),
    ]
    assert query(db, "select snapshot_date from current_snapshots where region = 'ap-southeast-2'") == [(DAY1,)]
