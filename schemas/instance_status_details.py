"""`instance_status_details`: the checks behind each instance's instance health status."""

import pyarrow as pa

from schemas._columns import TIMESTAMP, column, extra_column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "instance_status_details",
    "Details of `instanceStatus` (the instance health checks); empty unless health status was requested.",
    "instanceStatus.details[]",
    snapshot_columns()
    + parent_columns(("detail_index", "instanceStatus.details"))
    + [
        column("name", pa.string(), "Check name, e.g. reachability.", source="name"),
        column("status", pa.string(), "passed, failed, initializing or insufficient-data.", source="status"),
        column("impaired_since", TIMESTAMP, "Since when the check has failed.", source="impairedSince"),
        extra_column(),
    ],
)
