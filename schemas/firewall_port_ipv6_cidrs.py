"""`firewall_port_ipv6_cidrs`: the `ipv6Cidrs` of each firewall rule."""

import pyarrow as pa

from schemas._columns import column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "firewall_port_ipv6_cidrs",
    "Items of `networking.ports[].ipv6Cidrs` for each firewall rule, in order.",
    "networking.ports[].ipv6Cidrs[]",
    snapshot_columns()
    + parent_columns(("port_index", "networking.ports"), ("ipv6_cidr_index", "ipv6Cidrs"))
    + [column("ipv6_cidr", pa.string(), "IPv6 CIDR allowed to connect.", source="")],
)
