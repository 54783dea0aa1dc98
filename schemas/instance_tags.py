"""`instance_tags`: the tags of each instance, in the order AWS sent them."""

import pyarrow as pa

from schemas._columns import column, extra_column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "instance_tags",
    "Tags of each instance; a tag may have a key and no value (null), distinct from an empty value ('').",
    "tags[]",
    snapshot_columns()
    + parent_columns(("tag_index", "tags"))
    + [
        column("key", pa.string(), "Tag key.", source="key"),
        column("value", pa.string(), "Tag value; null when AWS sent the key only.", source="value"),
        extra_column(),
    ],
)
