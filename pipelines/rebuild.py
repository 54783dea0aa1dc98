"""Rebuild: one snapshot's instance JSON objects put back together from the warehouse tables.

The inverse of pipelines.normalise, and the proof that it loses nothing. Typed columns give the values
(an object is emitted when any of its columns holds one), `*_count` columns say whether a list was sent
and how long it was, positions put child rows back in place, and each row's `_extra` patch restores
unknown keys, explicit nulls and empty objects. Timestamps come back as epoch seconds: microseconds / 10**6.
"""

from dataclasses import dataclass

import orjson
import pyarrow as pa

from pipelines.shape import parse_path
from pipelines.warehouse import connect, cursor, q
from schemas import INSTANCE_TABLES, meta, primary_key

_MISSING = object()  # a list slot no child row has filled (yet)


@dataclass(frozen=True)
class _Link:
    """Where a child table's items go: the parent table, the list's path in the parent item, its count column."""

    parent: str
    path: tuple
    count_column: str


def rebuild(tables):
    """Instance objects from one snapshot's Arrow tables (`normalise_records(...).tables` or a query)."""
    built = {}
    for name, schema in INSTANCE_TABLES.items():  # parents before children
        built[name] = items = {}
        link = _LINKS.get(name)
        for key, item in _items(tables.get(name), schema):
            items[key] = item
            if link:
                _attach(built[link.parent], key, item, link, name)
    for name, items in built.items():
        for key, item in items.items():
            _check_filled(item, name, key)
    return list(built["instances"].values())


def rebuild_from_duckdb(con, snapshot_date, account_id=None, region=None):
    """Instance objects of one committed snapshot (optionally one account and region) read from the warehouse."""
    scope = (snapshot_date, account_id, region)
    return rebuild({name: _query(con, name, schema, *scope) for name, schema in INSTANCE_TABLES.items()})


def rebuild_from_file(path, snapshot_date, account_id=None, region=None):
    """The same, from a DuckDB file opened read-only (e.g. the reader copy)."""
    con = connect(path, read_only=True)
    try:
        return rebuild_from_duckdb(con, snapshot_date, account_id, region)
    finally:
        con.close()


def _query(con, name, schema, snapshot_date, account_id, region):
    where, params = ["snapshot_date = ?"], [snapshot_date]
    for column, value in (("account_id", account_id), ("region", region)):
        if value is not None:
            where.append(f"{q(column)} = ?")
            params.append(value)
    sql = (
        f"select {', '.join(q(f.name) for f in schema)} from {q(name)} where {' and '.join(where)} "
        f"order by {', '.join(q(k) for k in primary_key(schema))}"
    )
    result = cursor(con).sql(sql, params=params).to_arrow_table()  # own cursor: unaffected by open results on `con`
    return pa.Table.from_arrays([result.column(f.name).cast(f.type) for f in schema], schema=schema)


def _items(table, schema):
    """(key, item) per row: key = (snapshot, account, region, instance ARN, positions...)."""
    if table is None or table.num_rows == 0:
        return
    columns = {f.name: _python_values(table.column(f.name), f.type) for f in schema}
    keys = list(zip(*(columns[k] for k in primary_key(schema))))
    plan = _PLANS[schema.metadata[b"name"].decode()]
    extra = columns.get("_extra")
    for row in range(table.num_rows):
        yield keys[row], _item(columns, row, plan, extra[row] if extra else None)


def _python_values(column, type_):
    # Timestamps as integer microseconds: no datetime objects, so no year 1..9999 limit and no rounding.
    return (column.cast(pa.int64()) if pa.types.is_timestamp(type_) else column).to_pylist()


def _item(columns, row, plan, extra):
    """One row as the JSON value it came from: an object, or the string itself for lists of strings."""
    item = None if plan and not plan[0][1] else {}
    for column, tokens, kind in plan:
        value = columns[column][row]
        if value is None:
            continue
        if kind == "count":
            value = [_MISSING] * value
        elif kind == "timestamp":
            value = value / 10**6
        if not tokens:
            return value
        target = item
        for token in tokens[:-1]:
            target = target.setdefault(token, {})
        target[tokens[-1]] = value
    if extra is not None:
        _merge(item, orjson.loads(extra))
    return item


def _merge(target, patch):
    """Deep-merge a JSON patch into an item."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _attach(parents, key, item, link, table):
    parent = parents.get(key[:-1])
    if parent is None:
        raise ValueError(f"{table} row {key} has no parent row in {link.parent}")
    target = parent
    for token in link.path:
        target = target.get(token) if isinstance(target, dict) else None
    position = key[-1]
    if not isinstance(target, list) or not 0 <= position < len(target) or target[position] is not _MISSING:
        raise ValueError(f"{table} row {key} does not fit {link.parent}.{link.count_column}")
    target[position] = item


def _check_filled(item, table, key):
    for name, link in _LINKS.items():
        if link.parent != table:
            continue
        target = item
        for token in link.path:
            target = target.get(token) if isinstance(target, dict) else None
        if isinstance(target, list) and any(slot is _MISSING for slot in target):
            raise ValueError(f"{table} row {key}: {link.count_column} counts more items than {name} has rows")


def _plan(schema):
    """(column, path in the item, kind) for every column holding part of the item."""
    plan = []
    for f in schema:
        source = (f.metadata or {}).get(b"source")
        if source is None:
            continue
        role = (f.metadata or {}).get(b"role")
        kind = "count" if role == b"count" else "timestamp" if pa.types.is_timestamp(f.type) else "value"
        plan.append((f.name, tuple(parse_path(source.decode())), kind))
    return plan


def _links():
    """How every child table hangs off its parent, derived from the tables' `source` paths."""
    by_source = {tuple(parse_path(meta(s, "source"))): name for name, s in INSTANCE_TABLES.items()}
    links = {}
    for name, schema in INSTANCE_TABLES.items():
        if name == "instances":
            continue
        list_tokens = tuple(parse_path(meta(schema, "source")))[:-1]
        cut = max((i + 1 for i, t in enumerate(list_tokens) if t == "[]"), default=0)
        parent, path = by_source[list_tokens[:cut]], list_tokens[cut:]
        counts = {tokens: column for column, tokens, kind in _PLANS[parent] if kind == "count"}
        links[name] = _Link(parent, path, counts[path])
    return links


_PLANS = {name: _plan(schema) for name, schema in INSTANCE_TABLES.items()}
_LINKS = _links()
