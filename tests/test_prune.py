"""Retention of the landing zone: old run folders go, the warehouse keeps their snapshots."""

import datetime as dt

import pytest

from pipelines.cli import main
from pipelines.landing import RunFolder, latest_run, prune_runs
from pipelines.resources import WarehouseResource
from pipelines.runner import run_job
from pipelines.warehouse import connect
from tests.conftest import FLEET


def _run_folder(root, date, run_id, size=1000):
    folder = RunFolder(root, date, run_id)
    raw = folder.raw_dir("default", "us-east-1")
    raw.mkdir(parents=True)
    (raw / "page-00000.json.zst").write_bytes(b"x" * size)
    folder.write_manifest({"run_id": run_id, "snapshot_date": date.isoformat(), "regions": []})
    return folder


def test_prune_removes_whole_dates_older_than_the_window_and_nothing_else(tmp_path):
    today = dt.date(2026, 12, 4)
    for days_ago, runs in ((40, ["a", "b"]), (8, ["c"]), (7, ["d"]), (0, ["e"])):
        for run_id in runs:
            _run_folder(tmp_path, today - dt.timedelta(days=days_ago), run_id)
    (tmp_path / "runs" / "notes").mkdir()  # not a date: never touched

    planned = prune_runs(tmp_path, 7, today, dry_run=True)
    assert [(folder.name, size) for folder, size in planned] == [
        ("2026-10-25", 2 * (1000 + _manifest_size(tmp_path, "2026-10-25", "a")) + len("b")),
        ("2026-11-26", 1000 + _manifest_size(tmp_path, "2026-11-26", "c") + len("c")),
    ]
    assert (tmp_path / "runs" / "2026-10-25").exists()  # a dry run removes nothing

    removed = prune_runs(tmp_path, 7, today)
    assert removed == planned
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["2026-11-27", "2026-12-04", "notes"]
    assert latest_run(tmp_path, dt.date(2026, 11, 27)).run_id == "d"


def _manifest_size(root, date, run_id):
    return (root / "runs" / date / run_id / "manifest.json").stat().st_size


def test_prune_command_lists_then_removes(tmp_path, capsys):
    today = dt.datetime.now(dt.timezone.utc).date()
    _run_folder(tmp_path, today - dt.timedelta(days=3), "old", size=2_000_000)
    _run_folder(tmp_path, today, "new")
    assert main(["prune", "--keep-days", "1", "--data-dir", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("would remove 1 snapshot date of run folders (2.0 MB) older than ")
    assert out[1].strip().startswith(str(tmp_path / "runs" / (today - dt.timedelta(days=3)).isoformat()))
    assert (tmp_path / "runs" / (today - dt.timedelta(days=3)).isoformat()).exists()
    assert main(["prune", "--keep-days", "1", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("removed 1 snapshot date of")
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [today.isoformat()]
    for days in ("-1", "99999999", "ten"):
        with pytest.raises(SystemExit) as refused:
            main(["prune", "--keep-days", days, "--data-dir", str(tmp_path)])
        assert refused.value.code == 2
        assert "argument --keep-days: --keep-days must be " in capsys.readouterr().err
    assert main(["prune", "--keep-days", "1", "--data-dir", str(tmp_path / "typo")]) == 1
    assert capsys.readouterr().err.startswith(f"error: no run folders under {tmp_path / 'typo' / 'runs'}")


def test_the_nightly_load_prunes_old_runs_and_keeps_their_snapshots(lightsail, tmp_path, fleet):
    keep_all = WarehouseResource(path=str(tmp_path / "w.duckdb"), data_dir=str(tmp_path / "data"))
    pruning = WarehouseResource(path=keep_all.path, data_dir=keep_all.data_dir, keep_runs_days=2)
    today = dt.datetime.now(dt.timezone.utc).date()  # retention counts from today, whatever snapshot is loaded
    old_day = today - dt.timedelta(days=5)
    assert run_job(lightsail, keep_all, old_day) == (True, None)
    assert latest_run(keep_all.data_dir, old_day) is not None
    assert run_job(lightsail, pruning, today) == (True, None)

    assert latest_run(keep_all.data_dir, old_day) is None  # its raw pages and staging are gone
    assert latest_run(keep_all.data_dir, today) is not None
    con = connect(keep_all.path, read_only=True)
    try:
        per_day = dict(con.execute("select snapshot_date, count(*) from instances group by all").fetchall())
    finally:
        con.close()
    assert per_day == {old_day: FLEET.fleet_size, today: FLEET.fleet_size}

    # a backfill of an old day keeps its own run (replayable) until the next load prunes it
    assert run_job(lightsail, pruning, old_day) == (True, None)
    assert latest_run(keep_all.data_dir, old_day) is not None
    assert run_job(lightsail, pruning, today) == (True, None)
    assert latest_run(keep_all.data_dir, old_day) is None


@pytest.mark.parametrize("value", ["-3", "abc", "99999999"])
def test_a_bad_retention_setting_stops_the_run_before_it_starts(endpoint, tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS", value)
    db = tmp_path / "w.duckdb"
    assert main(["run", "--endpoint-url", endpoint.url, "--regions", "us-east-1", "--db", str(db),
                 "--data-dir", str(tmp_path / "data"), "--quiet"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS must be ")
    assert err[1] == "hint: a whole number of days, or unset it to keep every run folder"
    assert not db.exists() and not (tmp_path / "data").exists()  # refused before any request or load


def test_a_run_that_prunes_says_what_it_removed(endpoint, tmp_path, capsys, monkeypatch):
    data, db = tmp_path / "data", tmp_path / "w.duckdb"
    today = dt.datetime.now(dt.timezone.utc).date()
    old_day = today - dt.timedelta(days=5)
    run = ["run", "--endpoint-url", endpoint.url, "--regions", "us-east-1", "--db", str(db), "--data-dir", str(data), "--quiet"]
    assert main([*run, "--date", old_day.isoformat()]) == 0
    capsys.readouterr()
    monkeypatch.setenv("LIGHTSAIL_WAREHOUSE_KEEP_RUNS_DAYS", "2")
    assert main([*run, "--date", today.isoformat()]) == 0
    assert f"pruned: the run folders of 1 snapshot date more than 2 days old ({old_day}) under {data / 'runs'}" \
        in capsys.readouterr().err.splitlines()
    assert main([*run, "--date", today.isoformat()]) == 0
    assert "pruned" not in capsys.readouterr().err  # nothing more to remove: nothing said
