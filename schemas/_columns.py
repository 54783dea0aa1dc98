"""Building blocks for table schemas: Arrow fields whose metadata say where a value comes from and what it means."""

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
JSON = pa.string()  # DuckDB stores these columns as JSON text


def column(name, type_, description, *, source=None, key=False, role=None, nullable=True):
    """One warehouse column. `source` is the JSON path of the value inside the table's item."""
    meta = {"description": description}
    if source is not None:
        meta["source"] = source
    if key:
        meta["key"] = "true"
    if role:
        meta["role"] = role
    return pa.field(name, type_, nullable=nullable and not key, metadata=meta)


def snapshot_columns():
    """The columns every table starts with: which snapshot, account and region a row belongs to."""
    return [
        column("snapshot_date", pa.date32(), "Day of the nightly snapshot (the Dagster partition).", key=True, role="snapshot"),
        column("account_id", pa.string(), "AWS account the row was read from.", key=True, role="snapshot"),
        column("region", pa.string(), "AWS region the row was read from.", key=True, role="snapshot"),
    ]


def parent_columns(*ordinals):
    """Key columns of a child table: the owning instance's ARN and one position per list level."""
    fields = [column("instance_arn", pa.string(), "ARN of the instance this row belongs to.", key=True, role="parent")]
    for name, list_path in ordinals:
        fields.append(column(name, pa.int32(), f"Position (0-based) in `{list_path}` as AWS sent it.", key=True, role="ordinal"))
    return fields


def count_column(name, list_path):
    """How many items `list_path` had: null when AWS sent no such key, 0 for an empty list."""
    return column(name, pa.int32(), f"Number of items in `{list_path}`; null when the key was absent.", source=list_path, role="count")


def extra_column():
    """JSON object holding what the typed columns cannot: unknown keys, explicit nulls, empty objects."""
    return column("_extra", JSON, "JSON patch of members the schema does not model (unknown keys, explicit nulls, empty objects); null when there were none.", role="extra")


def table(name, description, source, fields):
    """A table schema; `source` is the JSON path of its items ('' for the instance, None if not from AWS)."""
    keys = [f.name for f in fields if f.metadata.get(b"key") == b"true"]
    meta = {"name": name, "description": description, "primary_key": ",".join(keys)}
    if source is not None:
        meta["source"] = source
    return pa.schema(fields, metadata=meta)
