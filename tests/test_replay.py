"""Replay: a run's raw pages rebuild its snapshot in the warehouse exactly, with no AWS call."""

import pytest

from pipelines import cli
from pipelines.accounts import Account
from pipelines.extract import ClientSettings
from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from pipelines.landing import find_run
from pipelines.load import load_run
from pipelines.replay import ReplayError, replay_run
from pipelines.runner import run_job
from pipelines.snapshot import RunPlan, extract_run
from pipelines.warehouse import connect
from tests.conftest import SNAPSHOT
from tests.estate_helpers import VOLATILE, contents, rows

ONLY_LOAD_TIME = frozenset({"loaded_at"})  # a replay keeps the run id, pages, attempts and timings of the run


@pytest.fixture
def loaded_run(lightsail, warehouse):
    ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    assert ok, error
    (run_id,) = rows(warehouse.path, "select distinct run_id from extraction_runs")[0]
    return run_id


@pytest.fixture
def offline(monkeypatch):
    """Any AWS call from here on fails: no credentials, and Lightsail points at a closed port."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


def replay(path, data_dir, run_id):
    con = connect(path)
    try:
        return replay_run(con, data_dir, run_id)
    finally:
        con.close()


def test_replay_into_an_empty_warehouse_reproduces_the_snapshot_exactly(loaded_run, warehouse, endpoint, offline, tmp_path):
    requests = len(endpoint.request_log)
    manifest, inserted = replay(tmp_path / "replayed.duckdb", warehouse.data_dir, loaded_run)
    assert len(endpoint.request_log) == requests
    assert manifest["run_id"] == loaded_run and inserted["instances"] == sum(endpoint.sizes.values())
    assert contents(tmp_path / "replayed.duckdb", ONLY_LOAD_TIME) == contents(warehouse.path, ONLY_LOAD_TIME)


def test_replay_into_the_same_warehouse_changes_nothing(loaded_run, warehouse, offline):
    before = contents(warehouse.path, ONLY_LOAD_TIME)
    replay(warehouse.path, warehouse.data_dir, loaded_run)
    assert contents(warehouse.path, ONLY_LOAD_TIME) == before


def test_replay_of_a_partial_run_leaves_the_failed_region_out_again(tmp_path):
    config = EndpointConfig(fleet_size=200, regions=("us-east-1", "eu-west-2"), page_size=40, failing_regions=("eu-west-2",))
    with FakeLightsail(config) as fake:
        plan = RunPlan(SNAPSHOT, list(config.regions), [Account()], ClientSettings(endpoint_url=fake.url))
        folder, manifest = extract_run(plan, tmp_path / "data")
    con = connect(tmp_path / "original.duckdb")
    load_run(con, folder, manifest, publish=False)
    con.close()
    replayed, _ = replay(tmp_path / "replayed.duckdb", tmp_path / "data", folder.run_id)
    assert [(r["region"], r["status"]) for r in replayed["regions"]] == [("us-east-1", "ok"), ("eu-west-2", "failed")]
    assert contents(tmp_path / "replayed.duckdb", VOLATILE) == contents(tmp_path / "original.duckdb", VOLATILE)
    assert rows(tmp_path / "replayed.duckdb", "select distinct region from instances") == [("us-east-1",)]


def test_a_missing_raw_page_stops_the_replay_before_anything_changes(loaded_run, warehouse, offline, tmp_path):
    folder = find_run(warehouse.data_dir, loaded_run)
    staged = folder.staged_dir("default", "eu-west-2") / "instances" / "part-00000.parquet"
    staged_bytes = staged.read_bytes()
    (folder.raw_dir("default", "eu-west-2") / "page-00001.json.zst").unlink()
    with pytest.raises(ReplayError, match="default/eu-west-2: .* raw pages found, the run received"):
        replay(tmp_path / "replayed.duckdb", warehouse.data_dir, loaded_run)
    assert staged.read_bytes() == staged_bytes


def test_cli_replay_names_the_run_and_the_rows(loaded_run, warehouse, offline, tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert cli.main(["replay", loaded_run, "--db", str(db), "--data-dir", warehouse.data_dir]) == 0
    out = capsys.readouterr().out
    assert f"replayed run {loaded_run} (snapshot {SNAPSHOT})" in out and "instances" in out
    assert rows(db, "select count(*) from instances") == rows(warehouse.path, "select count(*) from instances")
    assert cli.main(["replay", "no-such-run", "--db", str(db), "--data-dir", warehouse.data_dir]) == 1
    assert "no run no-such-run" in capsys.readouterr().err
