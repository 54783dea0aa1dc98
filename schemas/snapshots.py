"""`snapshots`: one row per (snapshot, account, region) whose data was loaded completely."""

import pyarrow as pa

from schemas._columns import TIMESTAMP, column, snapshot_columns, table

SCHEMA = table(
    "snapshots",
    "Which (snapshot, account, region) holds complete data; `current_*` views read the latest one per account and region.",
    None,
    snapshot_columns()
    + [
        column("run_id", pa.string(), "Run that loaded this snapshot.", nullable=False),
        column("loaded_at", TIMESTAMP, "When the load committed.", nullable=False),
        column("instances", pa.int64(), "Instances loaded.", nullable=False),
        column("quarantined", pa.int64(), "Records quarantined instead of loaded.", nullable=False),
    ],
)
