"""The DuckDB warehouse: opening it safely, creating and migrating tables from `schemas/`, views from `sql/`."""

import contextlib
import os
import re
import shutil
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas import TABLES, meta

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# DuckDB: 'Conflicting lock is held in /usr/bin/python3.11 (PID 42) [by user x]. [However, ...] See also ...'
_LOCK = re.compile(r"Conflicting lock is held in (.*?)(?: \(PID (\d+)\)|\. |\.?$)", re.S)
# Rows per DuckDB row group when writing (DuckDB's default is 122,880). A load's rows stay in memory until a
# row group fills, and what is left over is compressed and written at COMMIT on one thread; with smaller
# groups the inserts write them in parallel as they go. Measured on 100k instances (1.4M rows, 2 cores):
# a load into a fresh file 2.1 s -> 1.6 s, into a file holding earlier snapshots 3.2 s -> 1.5 s, with the
# same file size. DuckDB does not keep the setting in the file: every read-write open sets it.
ROW_GROUP_SIZE = 32768
_RESERVED_CATALOGS = {"main", "memory", "system", "temp"}


class WarehouseLocked(Exception):
    """Another process holds the DuckDB file; raised after the bounded wait."""

    hint = "close the process named above (or let its run finish), then try again; readers can use the .reader.duckdb copy"


def connect(path, read_only=False, lock_timeout_s=30.0):
    """Open the warehouse in UTC; wait with back-off while another process holds the file."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline, delay = time.monotonic() + lock_timeout_s, 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=True) if read_only else _open_for_writing(path)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(_lock_message(path, error, lock_timeout_s)) from None
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)
    con.execute("SET TimeZone = 'UTC'")
    return con


def _open_for_writing(path):
    """`duckdb.connect(path)`, but attached with ROW_GROUP_SIZE; the catalog keeps the name connect would give it.

    (As DuckDB does, a file named after a reserved catalog, e.g. main.duckdb, becomes main_db; so does
    memory.duckdb here, since the session's own in-memory catalog is called memory.)
    """
    name = path.stem + "_db" if path.stem.lower() in _RESERVED_CATALOGS else path.stem
    con = duckdb.connect()
    try:
        con.execute(f"attach {_literal(str(path))} as {q(name)} (row_group_size {ROW_GROUP_SIZE})")
        con.execute(f"use {q(name)}")
    except BaseException:
        con.close()
        raise
    return con


def cursor(con):
    """`con.cursor()` on `con`'s current database (a cursor starts in DuckDB's default one, not where `use` went)."""
    cur = con.cursor()
    cur.execute(f"use {q(con.execute('select current_database()').fetchone()[0])}")
    return cur


def _lock_message(path, error, waited):
    match = _LOCK.search(str(error))
    holder = "another process"
    if match:
        holder = match.group(1).strip()
        if match.group(2):
            holder += f" (PID {match.group(2)}{_process_name(match.group(2))})"
    return (
        f"the warehouse {path} is locked by {holder}; waited {waited:g}s. Close that process "
        f"(a DuckDB CLI or notebook holding the file); to query while runs happen, open the read-only copy "
        f"{reader_path(path)} that every load publishes."
    )


def _process_name(pid):
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
    words = argv.split()
    if words:  # the program by its name: a long install path would crowd out the arguments that say what it is
        words[0] = os.path.basename(words[0])
    shown = " ".join(words)
    if len(shown) > 160:  # cut at a word, and say so
        shown = shown[:160].rsplit(" ", 1)[0] + " ..."
    return ": " + shown


def earlier_account_ids(path):
    """{account name: id} of the latest loaded snapshot of each configured account; {} unless the file opens at once.

    For an account whose id a run could not tell: it keeps the one it had. A busy, missing or older
    warehouse (runs without account names) gives nothing rather than delaying or failing the extraction.
    """
    if not Path(path).exists():
        return {}
    try:
        con = connect(path, read_only=True, lock_timeout_s=0)
    except (duckdb.Error, WarehouseLocked):
        return {}
    try:
        return dict(con.execute(
            "select r.account, arg_max(r.account_id, r.started_at) from extraction_runs as r "
            "join snapshots as s using (run_id, snapshot_date, account_id, region) "
            "where r.status = 'ok' and r.account is not null and r.account_id <> 'unknown' group by r.account"
        ).fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def duckdb_type(arrow_type):
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    return {
        pa.string(): "VARCHAR",
        pa.int64(): "BIGINT",
        pa.int32(): "INTEGER",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
    }[arrow_type]


def q(identifier):
    """Quote an identifier for generated SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def ensure_tables(con, tables=TABLES):
    """Create missing tables and add columns that a newer schema declares (history is kept)."""
    existing = _existing_columns(con)
    for name, schema in tables.items():
        if name not in existing:
            con.execute(_create_table_sql(name, schema))
            _comment(con, name, schema)
            continue
        for f in schema:
            if f.name not in existing[name]:
                con.execute(f"alter table {q(name)} add column {q(f.name)} {duckdb_type(f.type)}")


def _existing_columns(con):
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main' and table_catalog = current_database()"
    ).fetchall()
    columns = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def _create_table_sql(name, schema):
    columns = ", ".join(
        f"{q(f.name)} {duckdb_type(f.type)}{'' if f.nullable else ' NOT NULL'}" for f in schema
    )
    return f"create table {q(name)} ({columns})"


def _comment(con, name, schema):
    con.execute(f"comment on table {q(name)} is ?".replace("?", _literal(meta(schema, "description"))))
    for f in schema:
        description = f.metadata[b"description"].decode()
        con.execute(f"comment on column {q(name)}.{q(f.name)} is {_literal(description)}")


def _literal(text):
    # COMMENT ON and ATTACH take no bound parameters: the text is quoted here.
    return "'" + text.replace("'", "''") + "'"


def sql_objects():
    """(name, sql) for every object in sql/ (one object per file, file name = object name)."""
    files = sorted(SQL_DIR.rglob("*.sql"))
    return [(f.stem, f.read_text()) for f in files]


def create_views(con):
    """(Re)create every view (and create the settings tables once), each after the objects it reads from."""
    for _, sql in ordered_sql_objects():
        con.execute(sql)


def ordered_sql_objects():
    """sql/ objects in dependency order (a view is created after every view whose name it mentions)."""
    objects = dict(sql_objects())
    code = {name: re.sub(r"--[^\n]*", "", sql) for name, sql in objects.items()}  # names in comments don't count
    mentions = {
        name: {other for other in objects if other != name and re.search(rf"\b{other}\b", code[name])}
        for name in objects
    }
    ordered, done = [], set()

    def visit(name, path=()):
        if name in done:
            return
        if name in path:
            raise RuntimeError(f"views depend on each other in a cycle: {' -> '.join(path + (name,))}")
        for other in sorted(mentions[name]):
            visit(other, path + (name,))
        done.add(name)
        ordered.append((name, objects[name]))

    for name in sorted(objects):
        visit(name)
    return ordered


def broken_views(con):
    """{view: error} for every view that no longer binds (e.g. after a column was removed)."""
    broken = {}
    for (name,) in con.execute(
        "select view_name from duckdb_views() where not internal and database_name = current_database() order by 1"
    ).fetchall():
        try:
            con.execute(f"select * from {q(name)} limit 0").fetchall()
        except duckdb.Error as error:
            broken[name] = str(error).splitlines()[0]
    return broken


def reader_path(path):
    """Where the read-only copy for analysts is published: data/warehouse.duckdb -> data/warehouse.reader.duckdb."""
    path = Path(path)
    return path.with_name(path.stem + ".reader.duckdb")


def publish_reader_copy(con):
    """Copy the committed warehouse next to itself for readers; the caller must hold the write connection.

    DuckDB lets no other process open a file while a writer holds it, so analysts open this copy instead.
    It is written under a temporary name and renamed into place: a reader that has the previous copy open
    keeps reading it undisturbed, new readers get the new one, and a crash leaves the previous copy.
    """
    path = database_path(con)
    if path is None:  # in-memory warehouse: nothing to publish
        return None
    con.execute(f"checkpoint {q(con.execute('select current_database()').fetchone()[0])}")  # everything committed is now in the main file, the WAL is empty
    target = reader_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(path, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        tmp.chmod(0o444)  # a read-write open would fail instead of leaving a WAL next to the copy
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:  # no half-written copy left behind (a full disk, an interrupt)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return target


def database_path(con):
    """The file behind `con`'s current database, or None when it is in memory."""
    (path,) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(path) if path else None


def table_counts(con):
    return {
        name: con.execute(f"select count(*) from {q(name)}").fetchone()[0] for name in TABLES
    }


def default_path():
    return Path(os.environ.get("LIGHTSAIL_WAREHOUSE_DB", "data/warehouse.duckdb"))
