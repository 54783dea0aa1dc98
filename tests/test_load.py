"""Loads: idempotent reruns, shrinking fleets, failed regions keeping their last good data, the reader copy."""

import dataclasses
import datetime as dt

import duckdb
import pytest

from pipelines.fake_endpoint import FakeLightsail
from pipelines.load import load_run
from pipelines.runner import run_job
from pipelines.snapshot import extract_run
from pipelines.warehouse import connect, reader_path
from schemas import TABLES
from tests.conftest import FLEET, SNAPSHOT
from tests.warehouse_helpers import ACCOUNT, assert_views_work, disk, instance, load_records, port, query, stage_run

DAY1, DAY2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)


def _counts(db, snapshot_date):
    return {name: query(db, f'select count(*) from "{name}" where snapshot_date = ?', [snapshot_date])[0][0] for name in TABLES}


def test_the_same_partition_materialised_twice_holds_the_same_rows(lightsail, warehouse, fleet):
    ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    assert ok, error
    first = _counts(warehouse.path, SNAPSHOT)
    ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    assert ok, error
    second = _counts(warehouse.path, SNAPSHOT)

    assert first["instances"] + first["quarantine"] == sum(len(r) for r in fleet.values())
    assert first["snapshots"] == len(FLEET.regions)
    # every table is replaced; only the log of extraction attempts grows, by one row per region and run
    assert {k: v for k, v in second.items() if k != "extraction_runs"} == {k: v for k, v in first.items() if k != "extraction_runs"}
    assert (first["extraction_runs"], second["extraction_runs"]) == (3, 6)
    assert query(warehouse.path, "select count(distinct run_id) from snapshots") == [(1,)]  # the second run's
    con = connect(warehouse.path, read_only=True)
    assert_views_work(con)
    con.close()


def test_loading_the_same_run_again_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    folder, manifest = stage_run(tmp_path / "data", DAY1, {"us-east-1": [instance("a"), instance("b")], "eu-west-2": "boom"})
    for _ in range(2):
        con = connect(db)
        load_run(con, folder, manifest)
        con.close()
    assert _counts(db, DAY1) == _counts(db, DAY1) | {
        "instances": 2, "snapshots": 1, "extraction_runs": 2, "disks": 2, "firewall_ports": 2, "quarantine": 0,
    }


def test_a_shrinking_fleet_shrinks_and_other_regions_stay(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    big = [instance("a", data_disks=[disk("d1", 8)]), instance("b", ports=[port(22), port(80)]), instance("c", tags=[("env", "x")])]
    load_records(db, root, DAY1, {"us-east-1": big, "eu-west-2": [instance("e", "eu-west-2")]})
    assert _counts(db, DAY1) | {"extraction_runs": 0} == _counts(db, DAY1) | {
        "instances": 4, "disks": 5, "firewall_ports": 5, "instance_tags": 1, "snapshots": 2, "extraction_runs": 0,
    }

    load_records(db, root, DAY1, {"us-east-1": [instance("a")]})  # same date, eu-west-2 not extracted this time
    assert query(db, "select region, name from instances order by all") == [("eu-west-2", "e"), ("us-east-1", "a")]
    assert _counts(db, DAY1) | {"extraction_runs": 0} == _counts(db, DAY1) | {
        "instances": 2, "disks": 2, "firewall_ports": 2, "instance_tags": 0, "snapshots": 2, "extraction_runs": 0,
    }

    load_records(db, root, DAY1, {"us-east-1": []})  # every instance deleted: the region is empty, not stale
    assert query(db, "select region, instances from snapshots order by region") == [("eu-west-2", 1), ("us-east-1", 0)]
    assert query(db, "select region from current_instances") == [("eu-west-2",)]


def test_a_failed_region_keeps_its_last_good_data_and_is_reported_stale(lightsail, endpoint, fleet, tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    _, manifest = extract_run(lightsail.plan(DAY1), root)
    _load(db, root, manifest)
    with FakeLightsail(dataclasses.replace(FLEET, failing_regions=("eu-west-2",))) as failing:
        plan = lightsail.model_copy(update={"endpoint_url": failing.url}).plan(DAY2)
        _, manifest = extract_run(plan, root)
    assert [r["status"] for r in manifest["regions"]] == ["ok", "failed", "ok"]
    _load(db, root, manifest)

    assert query(db, "select region, snapshot_date, count(*) from current_instances group by all order by 1") == [
        ("ap-southeast-2", DAY2, len(fleet["ap-southeast-2"])),
        ("eu-west-2", DAY1, len(fleet["eu-west-2"])),
        ("us-east-1", DAY2, len(fleet["us-east-1"])),
    ]
    assert query(db, "select snapshot_date, count(*) from instances where region = 'eu-west-2' group by 1") == [
        (DAY1, len(fleet["eu-west-2"])),
    ]
    [stale] = query(db, "select account_id, region, last_good_snapshot, stale_since, failed_attempts, latest_error from report_stale_regions")
    assert stale[:5] == (ACCOUNT, "eu-west-2", DAY1, DAY2, 1)
    assert "AccessDenied" in stale[5]


def _load(db, root, manifest):
    from pipelines.landing import find_run

    con = connect(db)
    try:
        load_run(con, find_run(root, manifest["run_id"]), manifest)
    finally:
        con.close()


def test_every_load_publishes_a_read_only_copy_for_readers(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": [instance("a"), instance("b")]})
    copy = reader_path(db)
    assert copy == tmp_path / "w.reader.duckdb"
    assert query(copy, "select name from current_instances order by 1") == [("a",), ("b",)]
    load_records(db, root, DAY2, {"us-east-1": [instance("a")]})
    assert query(copy, "select snapshot_date, name from current_instances") == [(DAY2, "a")]
    assert query(copy, "select count(*) from report_stale_regions") == [(0,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["w.duckdb", "w.reader.duckdb"]  # no leftovers


def test_the_warehouse_is_written_in_small_row_groups_under_its_own_name(tmp_path):
    """Writers attach the file with ROW_GROUP_SIZE (so loads write as they insert) and keep its usual catalog name."""
    from pipelines.warehouse import ROW_GROUP_SIZE, cursor

    db = tmp_path / "warehouse.duckdb"
    con = connect(db)
    try:
        assert con.execute("select current_database()").fetchone() == ("warehouse",)
        con.execute("create table numbers as select range as n from range(?)", [2 * ROW_GROUP_SIZE + 5])
        sizes = con.execute(
            "select row_group_id, max(count) from pragma_storage_info('numbers') group by all order by 1"
        ).fetchall()
        assert [count for _, count in sizes] == [ROW_GROUP_SIZE, ROW_GROUP_SIZE, 5]
        assert cursor(con).execute("select count(*) from numbers").fetchone() == (2 * ROW_GROUP_SIZE + 5,)
    finally:
        con.close()
    reader = connect(db, read_only=True)  # the file opens as usual, in any DuckDB client
    try:
        assert reader.execute("select count(*), max(n) from numbers").fetchone() == (2 * ROW_GROUP_SIZE + 5, 2 * ROW_GROUP_SIZE + 4)
    finally:
        reader.close()


def test_a_warehouse_file_named_after_a_reserved_catalog_opens_for_writing(tmp_path):
    for stem in ("main", "memory", "system", "temp"):
        con = connect(tmp_path / f"{stem}.duckdb")
        try:
            assert con.execute("select current_database()").fetchone() == (f"{stem}_db",)
            con.execute("create table t as select 1 as x")
        finally:
            con.close()
        assert query(tmp_path / f"{stem}.duckdb", "select x from t") == [(1,)]


class _CommitFails:
    """A warehouse connection whose COMMIT raises `error`, after committing when `committed` (an interrupt that
    lands once DuckDB has written the commit) or before (a commit that cannot be written)."""

    def __init__(self, con, error, committed):
        self._con, self._error, self._committed = con, error, committed

    def execute(self, sql, *args):
        if sql.strip().lower() == "commit":
            if self._committed:
                self._con.execute(sql)
            raise self._error
        return self._con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_commit_that_fails_raises_its_own_error_and_leaves_the_previous_snapshot(tmp_path):
    db = tmp_path / "w.duckdb"
    load_records(db, tmp_path / "data", DAY1, {"us-east-1": [instance("a")]})
    folder, manifest = stage_run(tmp_path / "data", DAY1, {"us-east-1": [instance("a"), instance("b")]})
    con = connect(db)
    try:
        with pytest.raises(duckdb.IOException, match="Cannot open file"):  # not "cannot rollback - no transaction"
            load_run(_CommitFails(con, duckdb.IOException("Cannot open file \"w.duckdb.wal\""), committed=False), folder, manifest)
    finally:
        con.close()
    assert query(db, "select name from current_instances") == [("a",)]


def test_an_interrupt_after_the_commit_is_raised_as_such_and_the_snapshot_is_loaded(tmp_path):
    db = tmp_path / "w.duckdb"
    folder, manifest = stage_run(tmp_path / "data", DAY1, {"us-east-1": [instance("a"), instance("b")]})
    con = connect(db)
    try:
        with pytest.raises(duckdb.InterruptException):
            load_run(_CommitFails(con, duckdb.InterruptException("Query interrupted"), committed=True), folder, manifest)
    finally:
        con.close()
    assert query(db, "select name from current_instances order by 1") == [("a",), ("b",)]
    assert query(db, "select count(*) from extraction_runs where run_id = ?", [manifest["run_id"]]) == [(1,)]


def test_a_reader_copy_that_cannot_be_written_does_not_undo_or_fail_the_load(tmp_path):
    db = tmp_path / "w.duckdb"
    load_records(db, tmp_path / "data", DAY1, {"us-east-1": [instance("a")]})
    blocked = reader_path(db).with_name(reader_path(db).name + ".tmp")
    blocked.mkdir()
    (blocked / "x").write_text("a directory where the copy's temporary file goes: it cannot be written")
    load_records(db, tmp_path / "data", DAY2, {"us-east-1": [instance("a"), instance("b")]})
    assert query(db, "select snapshot_date, count(*) from current_instances group by all") == [(DAY2, 2)]
    assert query(reader_path(db), "select snapshot_date, count(*) from current_instances group by all") == [(DAY1, 1)]
    assert (blocked / "x").exists()  # what was there is not ours to remove
