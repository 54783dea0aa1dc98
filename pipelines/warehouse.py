"""The DuckDB warehouse: opening it safely, creating and migrating tables from `schemas/`, views from `sql/`."""

import os
import re
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from schemas import TABLES, meta

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_LOCK = re.compile(r"Conflicting lock is held in (.*?)(?: \(PID (\d+)\))?(?: by user .*)?\.?\s*(?:See also|$)", re.S)


class WarehouseLocked(Exception):
    """Another process holds the DuckDB file; raised after the bounded wait."""


def connect(path, read_only=False, lock_timeout_s=30.0):
    """Open the warehouse in UTC; wait with back-off while another process holds the file."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline, delay = time.monotonic() + lock_timeout_s, 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
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


def _lock_message(path, error, waited):
    match = _LOCK.search(str(error))
    holder = "another process"
    if match:
        holder = match.group(1).strip()
        if match.group(2):
            holder += f" (PID {match.group(2)}{_process_name(match.group(2))})"
    return (
        f"the warehouse {path} is locked by {holder}; waited {waited:.0f}s. Close that process "
        f"(a DuckDB CLI or notebook holding the file), or read through a snapshot copy (see README)."
    )


def _process_name(pid):
    try:
        return ": " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()[:120]
    except OSError:
        return ""


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


def ensure_tables(con):
    """Create missing tables and add columns that a newer schema declares (history is kept)."""
    existing = _existing_columns(con)
    for name, schema in TABLES.items():
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
    # COMMENT ON takes no bound parameters; the text comes from our own schemas, quoted here.
    return "'" + text.replace("'", "''") + "'"


def sql_objects():
    """(name, sql) for every view in sql/ (one object per file, file name = object name)."""
    files = sorted(SQL_DIR.rglob("*.sql"))
    return [(f.stem, f.read_text()) for f in files]


def create_views(con):
    """(Re)create every view, each after the views it reads from."""
    for _, sql in ordered_sql_objects():
        con.execute(sql)


def ordered_sql_objects():
    """sql/ objects in dependency order (a view is created after every view whose name it mentions)."""
    objects = dict(sql_objects())
    mentions = {
        name: {other for other in objects if other != name and re.search(rf"\b{other}\b", sql)}
        for name, sql in objects.items()
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


def table_counts(con):
    return {
        name: con.execute(f"select count(*) from {q(name)}").fetchone()[0] for name in TABLES
    }


def default_path():
    return Path(os.environ.get("LIGHTSAIL_WAREHOUSE_DB", "data/warehouse.duckdb"))
