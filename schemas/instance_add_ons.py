"""`instance_add_ons`: add-ons enabled on each instance (automatic snapshots, stop on idle)."""

from schemas._add_ons import add_on_columns
from schemas._columns import extra_column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "instance_add_ons",
    "Add-ons of each instance (AutoSnapshot, StopInstanceOnIdle) with their status and settings.",
    "addOns[]",
    snapshot_columns() + parent_columns(("add_on_index", "addOns")) + add_on_columns() + [extra_column()],
)
