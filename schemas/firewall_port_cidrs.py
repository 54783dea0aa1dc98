"""`firewall_port_cidrs`: the `cidrs` of each firewall rule."""

import pyarrow as pa

from schemas._columns import column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "firewall_port_cidrs",
    "Items of `networking.ports[].cidrs` for each firewall rule, in order.",
    "networking.ports[].cidrs[]",
    snapshot_columns()
    + parent_columns(("port_index", "networking.ports"), ("cidr_index", "cidrs"))
    + [column("cidr", pa.string(), "IPv4 CIDR allowed to connect.", source="")],
)
