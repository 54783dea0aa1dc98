"""`extraction_runs`: every attempt to read one (account, region), successful or not."""

import pyarrow as pa

from schemas._columns import TIMESTAMP, column, snapshot_columns, table

SCHEMA = table(
    "extraction_runs",
    "Log of every (run, account, region) extraction: pages, instances, attempts, duration, status and error.",
    None,
    [column("run_id", pa.string(), "Run identifier.", key=True)]
    + snapshot_columns()
    + [
        column("status", pa.string(), "ok, failed or skipped.", nullable=False),
        column("pages", pa.int64(), "Pages received.", nullable=False),
        column("instances", pa.int64(), "Instance records received.", nullable=False),
        column("attempts", pa.int64(), "HTTP requests made, retries included.", nullable=False),
        column("started_at", TIMESTAMP, "When extraction of this region started.", nullable=False),
        column("duration_s", pa.float64(), "Seconds spent on this region.", nullable=False),
        column("error", pa.string(), "Error message when status is not ok."),
    ],
)
