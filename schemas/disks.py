"""`disks`: the disks of each instance; the system disk has no name, ARN or support code."""

import pyarrow as pa

from schemas._columns import TIMESTAMP, column, count_column, extra_column, parent_columns, snapshot_columns, table

S = pa.string()

SCHEMA = table(
    "disks",
    "Disks attached to each instance (system disk first as AWS sends it); keyed by instance ARN and position because the system disk has no ARN.",
    "hardware.disks[]",
    snapshot_columns()
    + parent_columns(("disk_index", "hardware.disks"))
    + [
        column("name", S, "Disk name; null for the system disk.", source="name"),
        column("arn", S, "Disk ARN; null for the system disk.", source="arn"),
        column("support_code", S, "Support code; null for the system disk.", source="supportCode"),
        column("created_at", TIMESTAMP, "When the disk was created.", source="createdAt"),
        column("availability_zone", S, "Availability zone.", source="location.availabilityZone"),
        column("region_name", S, "Region as reported by the disk.", source="location.regionName"),
        column("resource_type", S, "Resource type (Disk).", source="resourceType"),
        column("size_in_gb", pa.int64(), "Size in GB.", source="sizeInGb"),
        column("is_system_disk", pa.bool_(), "Whether this is the instance's system disk.", source="isSystemDisk"),
        column("iops", pa.int64(), "Input/output operations per second.", source="iops"),
        column("path", S, "Device path, e.g. /dev/xvda.", source="path"),
        column("state", S, "Disk state (in-use, available, ...).", source="state"),
        column("attached_to", S, "Name of the instance the disk is attached to.", source="attachedTo"),
        column("is_attached", pa.bool_(), "Whether the disk is attached.", source="isAttached"),
        column("attachment_state", S, "Deprecated attachment state.", source="attachmentState"),
        column("gb_in_use", pa.int64(), "Deprecated: GB in use.", source="gbInUse"),
        column("auto_mount_status", S, "Auto-mount status.", source="autoMountStatus"),
        count_column("tags_count", "tags"),
        count_column("add_ons_count", "addOns"),
        extra_column(),
    ],
)
