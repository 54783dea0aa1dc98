"""`quarantine`: records that did not fit their declared types, kept raw with the reason."""

import pyarrow as pa

from schemas._columns import JSON, column, snapshot_columns, table

SCHEMA = table(
    "quarantine",
    "Instance records that could not be loaded as typed rows: the raw JSON, where it broke and why.",
    None,
    snapshot_columns()
    + [
        column("record_index", pa.int64(), "Position of the record among the region's records.", key=True),
        column("page", pa.int64(), "Page (0-based) the record arrived in: raw/<account>/<region>/page-NNNNN.json.zst."),
        column("instance_arn", pa.string(), "ARN when one could be read."),
        column("path", pa.string(), "JSON path of the offending value, e.g. $.hardware.cpuCount.", nullable=False),
        column("reason", pa.string(), "Why the value was refused.", nullable=False),
        column("raw", JSON, "The record exactly as received.", nullable=False),
    ],
)
