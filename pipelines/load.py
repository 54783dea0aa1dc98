"""Load: one transaction puts a run's staged tables into the warehouse and recreates the views.

For every (account, region) that was extracted completely, the snapshot's rows are replaced (so reruns
are idempotent and a shrinking fleet shrinks); regions that failed are not touched, so their last good
data stays current. A crash anywhere before COMMIT leaves the previous contents as they were. After the
commit, a read-only copy is published for readers (`pipelines.warehouse.publish_reader_copy`).
"""

import contextlib
import datetime as dt
import logging

import duckdb
import pyarrow as pa

from pipelines.staging import staged_files
from pipelines.warehouse import create_views, ensure_tables, publish_reader_copy, q
from schemas import INSTANCE_TABLES, TABLES

log = logging.getLogger(__name__)


def load_run(con, folder, manifest, before_commit=None, publish=True, tables=TABLES):
    """Load `folder`'s staged tables; returns rows inserted per table.

    `before_commit(con)` runs inside the transaction after everything is written (tests kill the process
    there); `tables` is the schema set this code version declares (tests pass an older one).
    """
    loaded = [r for r in manifest["regions"] if r["status"] == "ok"]
    snapshot_date = dt.date.fromisoformat(manifest["snapshot_date"])
    scope = pa.table(
        {
            "snapshot_date": pa.array([snapshot_date] * len(loaded), pa.date32()),
            "account_id": pa.array([r["account_id"] for r in loaded], pa.string()),
            "region": pa.array([r["region"] for r in loaded], pa.string()),
        }
    )
    with _insertion_order_free(con):
        inserted = _load(con, folder, manifest, loaded, scope, before_commit, tables)
    if publish:
        publish_reader(con)
    return inserted


def publish_reader(con):
    """Publish the reader copy after a commit; the load stands if that fails (the copy needs room for a second
    warehouse file): returns None, or why the copy was not refreshed (readers of it see the previous load)."""
    try:
        publish_reader_copy(con)
    except (OSError, duckdb.Error) as error:
        if isinstance(error, duckdb.InterruptException) or "interrupted" in str(error).lower():
            raise  # Ctrl-C is not a full disk
        reason = f"{type(error).__name__}: {' '.join(str(error).split())}"
        log.warning("the warehouse is loaded, but its reader copy was not refreshed: %s", reason)
        return reason
    return None


@contextlib.contextmanager
def _insertion_order_free(con):
    """Inserts need not keep the staged parts' row order (no table has one): DuckDB then writes the row groups
    of one insert on all its threads at once instead of merging them in order (1.7 s -> 1.25 s at 100k).
    Restored after, so queries on this connection keep their usual behaviour."""
    before = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def _load(con, folder, manifest, loaded, scope, before_commit, tables):
    con.execute("begin transaction")
    try:
        ensure_tables(con, tables)
        con.register("_scope", scope)
        inserted = {}
        for name in list(INSTANCE_TABLES) + ["quarantine", "snapshots"]:
            _delete_scope(con, name)
        con.execute("delete from extraction_runs where run_id = ?", [manifest["run_id"]])  # the same run loaded again
        staged = [staged_files(folder.staged_dir(r["account"], r["region"])) for r in loaded]
        for name in list(INSTANCE_TABLES) + ["quarantine"]:
            inserted[name] = _insert_parquet(con, name, [str(part) for files in staged for part in files.get(name, [])])
        inserted["snapshots"] = _insert_arrow(con, "snapshots", _snapshot_rows(manifest, loaded, tables))
        inserted["extraction_runs"] = _insert_arrow(con, "extraction_runs", _run_rows(manifest, tables))
        create_views(con)
        if before_commit:
            before_commit(con)
        con.execute("commit")
    except BaseException:
        _rollback(con)
        raise
    finally:
        con.unregister("_scope")
    return inserted


def _rollback(con):
    """Roll back what is still open. A failed or interrupted COMMIT has already ended the transaction (committed or
    not: the caller asks the warehouse, see pipelines.cli): asking DuckDB to roll back then fails, and that
    failure must not hide the error that got us here."""
    try:
        con.execute("rollback")
    except duckdb.TransactionException:
        pass


def _delete_scope(con, name):
    con.execute(
        f"delete from {q(name)} as t using _scope as s "
        "where t.snapshot_date = s.snapshot_date and t.account_id = s.account_id and t.region = s.region"
    )


def _insert_parquet(con, name, files):
    if not files:
        return 0
    return con.execute(f"insert into {q(name)} by name select * from read_parquet(?)", [files]).fetchone()[0]


def _insert_arrow(con, name, table):
    if table.num_rows == 0:
        return 0
    con.register("_rows", table)
    try:
        return con.execute(f"insert into {q(name)} by name select * from _rows").fetchone()[0]
    finally:
        con.unregister("_rows")


def _snapshot_rows(manifest, loaded, tables):
    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        {
            "snapshot_date": dt.date.fromisoformat(manifest["snapshot_date"]),
            "account_id": r["account_id"],
            "region": r["region"],
            "run_id": manifest["run_id"],
            "loaded_at": now,
            "instances": r["loaded"],
            "quarantined": r["quarantined"],
        }
        for r in loaded
    ]
    return pa.Table.from_pylist(rows, schema=tables["snapshots"])


def _run_rows(manifest, tables):
    # Manifests give every entry an account id (pipelines.snapshot.settle_account_ids); older ones left a region
    # that failed before its first page without one: it takes its account's from the run's other regions.
    known = {r["account"]: r["account_id"] for r in manifest["regions"] if r.get("account_id")}
    rows = [
        {
            "run_id": manifest["run_id"],
            "snapshot_date": dt.date.fromisoformat(manifest["snapshot_date"]),
            "account_id": r["account_id"] or known.get(r.get("account")) or "unknown",
            "region": r["region"],
            "account": r.get("account"),
            "status": r["status"],
            "pages": r["pages"],
            "instances": r["instances"],
            "attempts": r["attempts"],
            "resumes": r.get("resumes"),
            "retry_quota_exhausted": r.get("retry_quota_exhausted"),
            "restarts": r.get("restarts"),
            "started_at": dt.datetime.fromtimestamp(r["started_at"], dt.timezone.utc),
            "duration_s": r["duration_s"],
            "error": r.get("error"),
        }
        for r in manifest["regions"]
    ]
    return pa.Table.from_pylist(rows, schema=tables["extraction_runs"])
