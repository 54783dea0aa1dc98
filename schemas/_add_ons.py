"""The members of an add-on, shared by instance and disk add-ons."""

import pyarrow as pa

from schemas._columns import column

S = pa.string()


def add_on_columns():
    return [
        column("name", S, "Add-on name, e.g. AutoSnapshot.", source="name"),
        column("status", S, "Add-on status, e.g. Enabled.", source="status"),
        column("snapshot_time_of_day", S, "Daily automatic snapshot time (HH:00, UTC).", source="snapshotTimeOfDay"),
        column("next_snapshot_time_of_day", S, "Snapshot time that applies from the next snapshot on.", source="nextSnapshotTimeOfDay"),
        column("threshold", S, "StopInstanceOnIdle: CPU threshold.", source="threshold"),
        column("duration", S, "StopInstanceOnIdle: idle duration.", source="duration"),
    ]
