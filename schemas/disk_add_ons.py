"""`disk_add_ons`: add-ons of each disk (automatic snapshots)."""

from schemas._add_ons import add_on_columns
from schemas._columns import extra_column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "disk_add_ons",
    "Add-ons of each disk of each instance.",
    "hardware.disks[].addOns[]",
    snapshot_columns()
    + parent_columns(("disk_index", "hardware.disks"), ("add_on_index", "addOns"))
    + add_on_columns()
    + [extra_column()],
)
