"""Schema drift: our schemas against botocore's Lightsail model, unseen enum values, and the `schema_drift` view.

The installed botocore model is read as data (its JSON shapes); nothing here talks to AWS. The view's list
of known members is generated from `schemas/` into sql/views/schema_drift.sql: `python -m pipelines.drift`
rewrites it, and a test fails when it is out of date.
"""

import functools
import re
import threading
from pathlib import Path

import botocore.loaders
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.shape import SHAPE, format_path, leaf_columns, parse_path, walk_leaves
from schemas import INSTANCE_TABLES, meta

ROOT = "Instance"
ARROW_TYPES = {
    "integer": pa.int64(), "long": pa.int64(), "float": pa.float64(), "double": pa.float64(),
    "boolean": pa.bool_(), "string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"),
}
VIEW_FILE = Path(__file__).resolve().parent.parent / "sql" / "views" / "schema_drift.sql"


@functools.cache
def service_shapes():
    """The `shapes` of the installed botocore Lightsail model (shape name -> definition)."""
    return botocore.loaders.create_loader().load_service_model("lightsail", "service-2")["shapes"]


def model_leaves(shapes, root=ROOT):
    """{leaf path: shape definition} for every scalar (or member-less structure) below `root`."""
    leaves = {}

    def walk(name, tokens, seen):
        shape = shapes[name]
        kind = shape["type"]
        if kind == "structure" and shape.get("members") and name not in seen:
            for member, ref in shape["members"].items():
                walk(ref["shape"], tokens + [member], seen | {name})
        elif kind == "list":
            walk(shape["member"]["shape"], tokens + ["[]"], seen)
        else:
            leaves[format_path(tokens)] = shape

    walk(root, [], frozenset())
    return leaves


def our_leaves():
    """{leaf path: Arrow type} of the record tree our schemas describe."""
    return {format_path(path): node.type for path, node in walk_leaves(SHAPE)}


def missing_paths(shapes, root=ROOT):
    """Leaf paths the model has and our schemas lack (a newer botocore adds members): sorted."""
    ours = our_leaves()
    return sorted(path for path in model_leaves(shapes, root) if path not in ours)


def type_mismatches(shapes, root=ROOT):
    """[(path, model type, our type)] where a column's Arrow type does not follow the model's type."""
    model = model_leaves(shapes, root)
    return [
        (path, model[path]["type"], ours)
        for path, ours in our_leaves().items()
        if path not in model or ARROW_TYPES.get(model[path]["type"]) != ours
    ]


_ENUMS_LOCK = threading.Lock()


def enum_columns():
    """{leaf path: (table, column, allowed values)} for every member the model declares an enum for.

    Built once (reading botocore's model takes ~0.2 s): extraction threads staging their first batch at the
    same moment wait for the first one instead of each building it.
    """
    with _ENUMS_LOCK:
        return _enum_columns()


@functools.cache
def _enum_columns():
    columns = leaf_columns()
    return {
        path: (*columns[path], pa.array(shape["enum"], pa.string()))
        for path, shape in model_leaves(service_shapes()).items()
        if "enum" in shape and path in columns
    }


def unseen_enum_values(tables):
    """{leaf path: {value: rows}} for enum values the model does not list; vectorised per column."""
    found = {}
    for path, (table, column, allowed) in enum_columns().items():
        values = tables[table].column(column)
        distinct = pc.drop_null(pc.unique(values))
        unseen = distinct.filter(pc.invert(pc.is_in(distinct, value_set=allowed)))
        if len(unseen):
            counts = pc.value_counts(values.filter(pc.is_in(values, value_set=unseen)))
            found[path] = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))
    return found


def known_members():
    """[(table, JSON path of an object inside the table's item, member, path prefix)] from `schemas/`."""
    rows = []
    for name, schema in INSTANCE_TABLES.items():
        if "_extra" not in schema.names:
            continue
        item_tokens = parse_path(meta(schema, "source"))
        node = SHAPE
        for token in item_tokens:
            node = node.item if token == "[]" else node.members[token]
        rows.extend((name, json_path, member, prefix) for json_path, member, prefix in _objects(node, item_tokens, []))
    return rows


def _objects(node, item_tokens, tokens):
    for member, child in node.members.items():
        yield "$" + "".join(f".{t}" for t in tokens), member, format_path(item_tokens + tokens + [""])
        if child.kind == "struct":
            yield from _objects(child, item_tokens, tokens + [member])


def schema_drift_sql():
    """The text of sql/views/schema_drift.sql, generated from `schemas/`."""
    rows = known_members()
    for _, json_path, member, _ in rows:
        if not re.fullmatch(r"\$(\.\w+)*", json_path) or not re.fullmatch(r"\w+", member):
            raise ValueError(f"member name needs quoting in a JSON path: {json_path}.{member}")
    known = ",\n".join(f"        ('{t}', '{j}', '{m}', '{p}')" for t, j, m, p in rows)
    extra = "\n    union all\n".join(
        f"    select '{name}' as table_name, snapshot_date, _extra from {name} where _extra is not null"
        for name, schema in INSTANCE_TABLES.items()
        if "_extra" in schema.names
    )
    return _VIEW.format(known=known, extra=extra)


_VIEW = """\
-- Members AWS sent that no column models (kept in `_extra`): per table and path, how many rows and when first seen.
-- Generated from schemas/ by `python -m pipelines.drift`. Explicit nulls and empty objects of known members
-- are kept in `_extra` too, but they are not drift: only keys missing from `known` are listed.
create or replace view schema_drift as
with known (table_name, parent, member, prefix) as (
    values
{known}
),
extra as (
{extra}
),
found as (
    select e.table_name, e.snapshot_date, p.parent, p.prefix, unnest(json_keys(e._extra, p.parent)) as member
    from extra as e
    join (select distinct table_name, parent, prefix from known) as p on p.table_name = e.table_name
    where json_type(e._extra, p.parent) = 'OBJECT'
)
select f.table_name, f.prefix || f.member as path, count(*) as row_count,
       min(f.snapshot_date) as first_seen, max(f.snapshot_date) as last_seen
from found as f
anti join known as k on k.table_name = f.table_name and k.parent = f.parent and k.member = f.member
group by f.table_name, f.prefix || f.member
"""


if __name__ == "__main__":
    VIEW_FILE.write_text(schema_drift_sql())
    print(f"wrote {VIEW_FILE}")
