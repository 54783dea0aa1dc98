"""Pure normalisation: GetInstances records in, one Arrow table per warehouse table out.

Records are checked (pipelines.validate), converted to one nested Arrow array in a single C++ call, and
every table is cut out of that array with vectorised list flattening. Child rows carry the instance ARN
and their positions, so the system disk (which has no ARN) stays addressable. Imports neither boto3 nor
Dagster (botocore's Lightsail model is read as data, for the enum lists). pipelines.rebuild is the inverse.
"""

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.drift import unseen_enum_values
from pipelines.gc_pause import gc_paused
from pipelines.shape import SHAPE, ingest_type, parse_path
from pipelines.validate import split_batch
from schemas import INSTANCE_TABLES, TABLES, meta

INGEST = ingest_type()
QUARANTINE = TABLES["quarantine"]


@dataclass
class Snapshot:
    """Which snapshot, account and region a batch of records belongs to."""

    date: dt.date
    account_id: str
    region: str


@dataclass
class Batch:
    """Normalised tables of one batch of records, plus what was refused or not understood."""

    tables: dict
    quarantine: pa.Table
    received: int
    unknown: dict = field(default_factory=dict)  # path template -> rows carrying it
    unseen_enum_values: dict = field(default_factory=dict)  # path template -> {value outside the model's enum: rows}

    @property
    def loaded(self):
        return self.tables["instances"].num_rows


def normalise_records(records, snapshot, first_index=0):
    """Turn a list of instance records (decoded JSON) into the warehouse tables."""
    with gc_paused():  # checking and converting allocate many small acyclic objects (see pipelines.gc_pause)
        split = split_batch(records)
        array = pa.array(split.clean, type=INGEST)
    tables = {}
    _cut(array, SHAPE, "instances", np.arange(len(array)), [], snapshot, split.patches, tables)
    quarantine = _quarantine_table(split.quarantined, snapshot, first_index)
    return Batch(
        tables, quarantine, received=len(records), unknown=split.unknown,
        unseen_enum_values=unseen_enum_values(tables),
    )


def normalise_array(array, snapshot):
    """Turn an already checked struct array of the ingest type (pipelines.fastpath) into the tables."""
    tables = {}
    _cut(array, SHAPE, "instances", np.arange(len(array)), [], snapshot, {}, tables)
    empty = _quarantine_table([], snapshot, 0)
    return Batch(tables, empty, received=len(array), unseen_enum_values=unseen_enum_values(tables))


def normalise_pages(pages, snapshot, first_index=0):
    """Normalise raw GetInstances response bodies (bytes) as one batch."""
    records = []
    for body in pages:
        records.extend(orjson.loads(body).get("instances") or [])
    return normalise_records(records, snapshot, first_index)


def _cut(items, node, table, root_index, ordinals, snapshot, patches, out):
    """Build `table` from its items, then recurse into the child tables found inside the item."""
    schema = INSTANCE_TABLES[table]
    n = len(items)
    columns = {}
    columns.update(_snapshot_columns(snapshot, n))
    if table != "instances":
        columns["instance_arn"] = out["instances"].column("arn").take(pa.array(root_index))
        for f, ordinal in zip(_ordinal_fields(schema), ordinals):
            columns[f.name] = pa.array(ordinal, pa.int32())
    for f in schema:
        source = (f.metadata or {}).get(b"source")
        if source is not None:
            columns[f.name] = _value_column(items, node, parse_path(source.decode()), f)
    if any(f.name == "_extra" for f in schema):
        columns["_extra"] = _extra_column(items, node, table, root_index, ordinals, patches)
    out[table] = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
    for child_list, child_node in _child_lists(node, items):
        parents = pc.list_parent_indices(child_list).to_numpy()
        offsets = child_list.offsets.to_numpy()
        position = np.arange(len(parents)) + offsets[0] - offsets[parents] if len(parents) else parents
        child_ordinals = [o[parents] for o in ordinals] + [position]
        _cut(
            pc.list_flatten(child_list), child_node.item, child_node.table, root_index[parents],
            child_ordinals, snapshot, patches, out,
        )


def _snapshot_columns(snapshot, n):
    return {
        "snapshot_date": pa.repeat(pa.scalar(snapshot.date, pa.date32()), n),
        "account_id": pa.repeat(pa.scalar(snapshot.account_id, pa.string()), n),
        "region": pa.repeat(pa.scalar(snapshot.region, pa.string()), n),
    }


def _ordinal_fields(schema):
    return [f for f in schema if (f.metadata or {}).get(b"role") == b"ordinal"]


def _members(array):
    """A struct array's children, with the struct's own nulls applied to them."""
    return dict(zip((f.name for f in array.type), array.flatten()))


def _navigate(items, tokens):
    array = items
    for token in tokens:
        array = _members(array)[token]
    return array


def _value_column(items, node, tokens, f):
    """One typed column: a leaf value, a list's item (scalar tables) or a list's length (counts)."""
    if (f.metadata or {}).get(b"role") == b"count":
        return pc.list_value_length(_navigate(items, tokens)).cast(pa.int32())
    if not tokens:  # the item itself is the value (lists of strings)
        return items
    values = _navigate(items, tokens)
    if pa.types.is_timestamp(f.type):
        return _epoch_micros(values).cast(f.type)
    return values


def _epoch_micros(seconds):
    """Epoch seconds (float64) -> whole microseconds (int64), exact: x * 1e6 alone loses up to 16 µs near 1e11 s."""
    whole = pc.floor(seconds)
    fraction = pc.subtract(seconds, whole)  # exact for doubles
    micros = pc.round(pc.multiply(fraction, 1_000_000)).cast(pa.int64())
    return pc.add(pc.multiply(whole.cast(pa.int64()), 1_000_000), micros)


def _child_lists(node, items, tokens=()):
    """(list array, list node) for every list of table rows directly inside this item."""
    if node.kind != "struct":
        return
    members = None
    for name, child in node.members.items():
        if child.kind == "list" and child.table:
            members = members or _members(items)
            yield members[name], child
        elif child.kind == "struct":
            members = members or _members(items)
            yield from _child_lists(child, members[name], tokens + (name,))


def _extra_column(items, node, table, root_index, ordinals, patches):
    """JSON patches per row: what validation set aside plus objects that arrived empty."""
    rows = _empty_struct_patches(items, node)
    wanted = {key[1:]: patch for key, patch in patches.items() if key[0] == table}
    if wanted:
        keys = zip(root_index.tolist(), *[o.tolist() for o in ordinals])
        for row, key in enumerate(keys):
            patch = wanted.get((key[0], tuple(key[1:])))
            if patch is not None:
                rows[row] = _merge(rows.get(row, {}), patch)
    values = [None] * len(items)
    for row, patch in rows.items():
        values[row] = orjson.dumps(patch, option=orjson.OPT_SORT_KEYS).decode()
    return pa.array(values, pa.string())


def _empty_struct_patches(items, node, prefix=()):
    """Rows where a nested object was present but empty ({}): typed columns alone cannot show it."""
    rows = {}
    if node.kind != "struct" or len(items) == 0:
        return rows
    members = _members(items)
    for name, child in node.members.items():
        if child.kind != "struct":
            continue
        array = members[name]
        has_content = functools.reduce(pc.or_, [m.is_valid() for m in array.flatten()])
        empty = pc.and_(array.is_valid(), pc.invert(has_content))
        for row in np.flatnonzero(empty.to_numpy(zero_copy_only=False)).tolist():
            rows[row] = _merge(rows.get(row, {}), _nest(prefix + (name,), {}))
        for row, patch in _empty_struct_patches(array, child, prefix + (name,)).items():
            rows[row] = _merge(rows.get(row, {}), patch)
    return rows


def _nest(path, value):
    for key in reversed(path):
        value = {key: value}
    return value


def _merge(base, patch):
    """Deep merge of two JSON patches."""
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _quarantine_table(quarantined, snapshot, first_index):
    rows = [
        {
            "snapshot_date": snapshot.date,
            "account_id": snapshot.account_id,
            "region": snapshot.region,
            "record_index": first_index + position,
            "instance_arn": record.get("arn") if isinstance(record, dict) and isinstance(record.get("arn"), str) else None,
            "path": path,
            "reason": reason,
            "raw": orjson.dumps(record).decode(),
        }
        for position, record, path, reason in quarantined
    ]
    return pa.Table.from_pylist(rows, schema=QUARANTINE)


def empty_tables():
    """Zero-row tables with the declared schemas."""
    return {name: schema.empty_table() for name, schema in INSTANCE_TABLES.items()}


__all__ = ["Batch", "Snapshot", "normalise_pages", "normalise_records", "empty_tables", "meta"]
