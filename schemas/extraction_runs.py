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
        column("account", pa.string(), "The account's name in the configuration (`default`, or its `lightsail.accounts` "
               "name); null in older runs."),
        column("status", pa.string(), "ok, failed or skipped.", nullable=False),
        column("pages", pa.int64(), "Pages received.", nullable=False),
        column("instances", pa.int64(), "Instance records received.", nullable=False),
        column("attempts", pa.int64(), "HTTP requests made, retries included.", nullable=False),
        column("resumes", pa.int64(), "Pages asked for again after botocore's retries gave up on them; null in older runs."),
        column("retry_quota_exhausted", pa.int64(),
               "Of those resumes, how many followed botocore's retry quota running out; null in older runs."),
        column("restarts", pa.int64(), "Listings started over from the first page because a page token was refused; "
               "null in older runs."),
        column("started_at", TIMESTAMP, "When extraction of this region started.", nullable=False),
        column("duration_s", pa.float64(), "Seconds spent on this region.", nullable=False),
        column("error", pa.string(), "Error message when status is failed; the reason when skipped."),
    ],
)
