"""Parquet export: the declared schemas come back, rows match the warehouse, partitions by snapshot date."""

import datetime as dt

import pyarrow.parquet as pq
import pytest

from pipelines.cli import main
from pipelines.export import export_parquet, file_schema, partitioning
from pipelines.warehouse import connect, q
from schemas import TABLES
from tests.warehouse_helpers import disk, instance, load_records, port, query

DAY1, DAY2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """us-east-1 on two days (3 then 2 instances); eu-west-2 only on day 1 (it failed on day 2)."""
    tmp = tmp_path_factory.mktemp("export")
    db, root = tmp / "w.duckdb", tmp / "data"
    rich = instance("a", data_disks=[disk("d1", 8)], tags=[("env", "prod"), ("backup", None)],
                    ports=[port(22, ipv6=["::/0"], aliases=["lightsail-connect"])], health="impaired")
    load_records(db, root, DAY1, {"us-east-1": [rich, instance("b"), instance("c")], "eu-west-2": [instance("e", "eu-west-2")]})
    load_records(db, root, DAY2, {"us-east-1": [rich, instance("b", state="stopped")], "eu-west-2": "AccessDenied"})
    return db


def _read(folder):
    return pq.read_table(folder, partitioning=partitioning())


def test_current_export_has_the_declared_schemas_and_the_current_rows(db, tmp_path):
    con = connect(db, read_only=True)
    rows = export_parquet(con, tmp_path / "out")
    for name, schema in TABLES.items():
        expected = con.execute(f"select count(*) from {q(name)} join current_snapshots using (snapshot_date, account_id, region)").fetchone()[0]
        files = sorted((tmp_path / "out" / name).glob("snapshot_date=*/part-0.parquet"))
        assert rows[name] == expected == sum(pq.read_metadata(f).num_rows for f in files), name
        for f in files:
            assert pq.read_schema(f).equals(file_schema(schema), check_metadata=True), name
        if files:
            table = _read(tmp_path / "out" / name).select(schema.names)
            i = schema.get_field_index("snapshot_date")  # read from the folder name: a nullable date
            assert table.schema.equals(schema.set(i, schema.field(i).with_nullable(True))), name
    con.close()
    assert sorted(p.name for p in (tmp_path / "out" / "instances").iterdir()) == ["snapshot_date=2026-12-01", "snapshot_date=2026-12-02"]
    instances = _read(tmp_path / "out" / "instances")
    assert sorted(zip(instances["snapshot_date"].to_pylist(), instances["region"].to_pylist(), instances["name"].to_pylist())) == [
        (DAY1, "eu-west-2", "e"), (DAY2, "us-east-1", "a"), (DAY2, "us-east-1", "b"),
    ]
    tags = _read(tmp_path / "out" / "instance_tags").sort_by("tag_index")
    assert list(zip(tags["key"].to_pylist(), tags["value"].to_pylist())) == [("env", "prod"), ("backup", None)]


def test_all_history_through_the_cli_and_a_rerun_replaces_the_export(db, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["export", "--format", "parquet", str(out), "--db", str(db), "--all-history"]) == 0
    assert "exported all snapshots of 16 tables" in capsys.readouterr().out
    for name in TABLES:
        [(expected,)] = query(db, f"select count(*) from {q(name)}")
        assert (_read(out / name).num_rows if expected else 0) == expected, name
    instances = _read(out / "instances")
    assert sorted(set(instances["snapshot_date"].to_pylist())) == [DAY1, DAY2]
    assert instances.num_rows == 6

    assert main(["export", str(out), "--db", str(db)]) == 0  # current only: day 1 of us-east-1 is gone from the export
    instances = _read(out / "instances")
    assert instances.num_rows == 3
    assert sorted(p.name for p in out.iterdir()) == sorted(TABLES)  # nothing left over from either export


def test_export_of_a_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "out"), "--db", str(tmp_path / "nope.duckdb")]) == 1
    assert "no warehouse at" in capsys.readouterr().err


def test_a_table_without_rows_still_exports_one_empty_file_with_its_schema(db, tmp_path):
    con = connect(db, read_only=True)
    try:
        assert con.execute("select count(*) from quarantine").fetchone()[0] == 0
        rows = export_parquet(con, tmp_path / "out")
        latest = con.execute("select max(snapshot_date) from current_snapshots").fetchone()[0]
    finally:
        con.close()
    assert rows["quarantine"] == 0
    [only] = (tmp_path / "out" / "quarantine").glob("*/part-0.parquet")
    assert only.parent.name == f"snapshot_date={latest.isoformat()}"
    table = _read(tmp_path / "out" / "quarantine")
    assert table.num_rows == 0
    declared = file_schema(TABLES["quarantine"])
    assert [(f.name, f.type) for f in table.schema] == [(f.name, f.type) for f in declared] + [("snapshot_date", partitioning().schema.field("snapshot_date").type)]


def _snapshot_of(out):
    return {name: sorted(p.name for p in (out / name).iterdir()) for name in TABLES}


def test_an_export_that_fails_while_swapping_folders_leaves_the_previous_one_whole(db, tmp_path, monkeypatch):
    from pathlib import Path

    out = tmp_path / "out"
    con = connect(db, read_only=True)
    try:
        export_parquet(con, out, all_history=True)
        before = _snapshot_of(out)
        real_rename = Path.rename

        def rename(self, target):
            if Path(target) == out / "firewall_ports" and self.parent != out:  # the new folder moving in
                raise PermissionError(13, "Permission denied", str(target))
            return real_rename(self, target)

        monkeypatch.setattr(Path, "rename", rename)
        with pytest.raises(PermissionError):
            export_parquet(con, out)  # current only: would drop day 1 of us-east-1
    finally:
        con.close()
    assert _snapshot_of(out) == before
    assert _read(out / "instances").num_rows == 6  # every table still holds the all-history export
    assert sorted(p.name for p in out.iterdir()) == sorted(TABLES)


def test_a_previous_export_that_cannot_be_removed_is_reported_not_mixed_in(db, tmp_path, monkeypatch, capsys):
    import pipelines.export

    out = tmp_path / "out"
    assert main(["export", str(out), "--db", str(db), "--all-history"]) == 0
    real_rmtree = pipelines.export.shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if ".replaced-disks-" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(pipelines.export.shutil, "rmtree", rmtree)
    capsys.readouterr()
    assert main(["export", str(out), "--db", str(db)]) == 0
    assert "warning: the previous export's folder could not be removed:" in capsys.readouterr().err
    assert _read(out / "instances").num_rows == 3 and _read(out / "disks").num_rows == query(
        db, "select count(*) from disks join current_snapshots using (snapshot_date, account_id, region)")[0][0]
    assert [p.name for p in out.iterdir() if p.name.startswith(".replaced-")] == [next(
        p.name for p in out.iterdir() if p.name.startswith(".replaced-disks-"))]
