"""Crashes and concurrency: SIGKILL during a load, another process holding the file, readers during a load."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.load import load_run
from pipelines.resources import WarehouseResource
from pipelines.runner import run_job
from pipelines.warehouse import WarehouseLocked, connect, reader_path
from tests.conftest import SNAPSHOT
from tests.warehouse_helpers import assert_views_work, disk, instance, load_records, query, stage_run

REPO = Path(__file__).resolve().parent.parent
DAY1 = dt.date(2026, 12, 1)
BEFORE = [instance("a", data_disks=[disk("d1", 8)]), instance("b"), instance("c")]
AFTER = [instance("a", state="stopped")]

# Loads a staged run, touching `ready`.started first; with mode "hang" it writes `ready` and stops inside the
# transaction, after every delete and insert, to be killed there.
LOADER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pipelines.landing import find_run
    from pipelines.load import load_run
    from pipelines.warehouse import connect

    db, root, run_id, ready, mode = sys.argv[1:6]

    def hang(con):
        Path(ready).write_text("in transaction")
        time.sleep(600)

    folder = find_run(root, run_id)
    con = connect(db)
    Path(ready + ".started").write_text("loading")
    load_run(con, folder, folder.read_manifest(), before_commit=hang if mode == "hang" else None)
""")

# Holds the file open until `release` exists (read-only or read-write), then exits.
HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    from pathlib import Path
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("holding", flush=True)
    while not Path(sys.argv[3]).exists():
        time.sleep(0.05)
""")


def _python(code, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO, **kwargs)


def _wait_for(path, proc):
    while not Path(path).exists():
        assert proc.poll() is None, "the child process ended early"
        time.sleep(0.02)


def _state(db):
    """What the warehouse holds for DAY1: instance names and their data disk count."""
    return (
        query(db, "select name, state_name from current_instances order by name"),
        query(db, "select count(*) from disks where snapshot_date = ? and not is_system_disk", [DAY1]),
    )


OLD = ([("a", "running"), ("b", "running"), ("c", "running")], [(1,)])
NEW = ([("a", "stopped")], [(0,)])


@pytest.fixture
def warehouse_with_a_rerun_staged(tmp_path):
    """DAY1 loaded with three instances, and a rerun of DAY1 with one instance staged, not yet loaded."""
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": BEFORE})
    _, manifest = stage_run(root, DAY1, {"us-east-1": AFTER})
    return db, root, manifest["run_id"]


def test_sigkill_inside_the_load_transaction_keeps_the_previous_snapshot(warehouse_with_a_rerun_staged, tmp_path):
    db, root, run_id = warehouse_with_a_rerun_staged
    ready = tmp_path / "ready"
    loader = _python(LOADER, db, root, run_id, ready, "hang")
    _wait_for(ready, loader)  # every delete and insert done, COMMIT not yet
    loader.send_signal(signal.SIGKILL)
    assert loader.wait() == -signal.SIGKILL

    assert _state(db) == OLD
    assert _state(reader_path(db)) == OLD
    con = connect(db)
    load_run(con, *_run(root, run_id))  # a clean rerun, no repair
    assert_views_work(con)
    con.close()
    assert _state(db) == NEW
    assert _state(reader_path(db)) == NEW


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.15, 0.4])
def test_sigkill_at_any_moment_leaves_the_old_or_the_new_snapshot_whole(warehouse_with_a_rerun_staged, tmp_path, delay_s):
    db, root, run_id = warehouse_with_a_rerun_staged
    loader = _python(LOADER, db, root, run_id, tmp_path / "ready", "run")
    _wait_for(tmp_path / "ready.started", loader)
    time.sleep(delay_s)
    loader.send_signal(signal.SIGKILL)
    loader.wait()

    assert _state(db) in (OLD, NEW)
    con = connect(db)
    load_run(con, *_run(root, run_id))
    assert_views_work(con)
    con.close()
    assert _state(db) == NEW
    assert _state(reader_path(db)) == NEW


def _run(root, run_id):
    from pipelines.landing import find_run

    folder = find_run(root, run_id)
    return folder, folder.read_manifest()


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_a_process_holding_the_file_gives_a_bounded_wait_then_a_clear_error(tmp_path, mode):
    db = tmp_path / "w.duckdb"
    load_records(db, tmp_path / "data", DAY1, {"us-east-1": BEFORE})
    holder = _python(HOLDER, db, mode, tmp_path / "release", stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked) as caught:
            connect(db, lock_timeout_s=0.5)
        message = str(caught.value)
        assert f"PID {holder.pid}" in message and "duckdb.connect" in message  # names the holder and its command
        assert str(reader_path(db)) in message  # and says what readers can open instead
    finally:
        (tmp_path / "release").touch()
        holder.wait()


def test_the_load_proceeds_when_the_holder_releases_during_the_wait(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": BEFORE})
    folder, manifest = stage_run(root, DAY1, {"us-east-1": AFTER})
    holder = _python(HOLDER, db, "ro", tmp_path / "release", stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    with pytest.raises(WarehouseLocked):
        connect(db, lock_timeout_s=0)  # held right now
    (tmp_path / "release").touch()
    con = connect(db, lock_timeout_s=60)  # waits for the holder to let go
    load_run(con, folder, manifest)
    con.close()
    holder.wait()
    assert _state(db) == NEW


def test_a_run_against_a_held_warehouse_fails_clearly_and_loads_nothing(lightsail, tmp_path):
    db = tmp_path / "w.duckdb"
    load_records(db, tmp_path / "data", DAY1, {"us-east-1": BEFORE})
    warehouse = WarehouseResource(path=str(db), data_dir=str(tmp_path / "data"), lock_timeout_s=1)
    holder = _python(HOLDER, db, "rw", tmp_path / "release", stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        ok, error = run_job(lightsail, warehouse, SNAPSHOT)
    finally:
        (tmp_path / "release").touch()
        holder.wait()
    assert not ok
    assert "is locked by" in error and f"PID {holder.pid}" in error
    assert _state(db) == OLD
    assert query(db, "select count(*) from extraction_runs") == [(1,)]  # only the first load's


def test_a_reader_on_the_published_copy_never_blocks_a_load(tmp_path):
    db, root = tmp_path / "w.duckdb", tmp_path / "data"
    load_records(db, root, DAY1, {"us-east-1": BEFORE})
    reader = _python(
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "for _ in sys.stdin:\n"
        "    print(con.execute('select count(*) from current_instances').fetchone()[0], flush=True)\n",
        reader_path(db), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )

    def ask():
        reader.stdin.write("count\n")
        reader.stdin.flush()
        return int(reader.stdout.readline())

    try:
        assert ask() == 3
        load_records(db, root, DAY1, {"us-east-1": AFTER})  # the reader keeps its connection open meanwhile
        assert ask() == 3  # it still reads the copy it opened, whole
        assert _state(reader_path(db)) == NEW  # a new reader gets the new copy
    finally:
        reader.stdin.close()
        reader.wait()


def test_the_instance_config_serialises_warehouse_writers(tmp_path):
    (tmp_path / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text())
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    pools = instance.get_concurrency_config().pool_config
    assert (pools.default_pool_limit, pools.pool_granularity.value) == (1, "op")
    instance.dispose()
