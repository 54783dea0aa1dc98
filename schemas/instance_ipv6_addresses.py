"""`instance_ipv6_addresses`: the IPv6 addresses of each instance."""

import pyarrow as pa

from schemas._columns import column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "instance_ipv6_addresses",
    "IPv6 addresses of each instance.",
    "ipv6Addresses[]",
    snapshot_columns()
    + parent_columns(("address_index", "ipv6Addresses"))
    + [column("ipv6_address", pa.string(), "IPv6 address.", source="")],
)
