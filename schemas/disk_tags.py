"""`disk_tags`: the tags of each disk."""

import pyarrow as pa

from schemas._columns import column, extra_column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "disk_tags",
    "Tags of each disk of each instance.",
    "hardware.disks[].tags[]",
    snapshot_columns()
    + parent_columns(("disk_index", "hardware.disks"), ("tag_index", "tags"))
    + [
        column("key", pa.string(), "Tag key.", source="key"),
        column("value", pa.string(), "Tag value; null when AWS sent the key only.", source="value"),
        extra_column(),
    ],
)
