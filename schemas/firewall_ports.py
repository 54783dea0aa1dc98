"""`firewall_ports`: the firewall rules (port ranges) of each instance."""

import pyarrow as pa

from schemas._columns import column, count_column, extra_column, parent_columns, snapshot_columns, table

S = pa.string()

SCHEMA = table(
    "firewall_ports",
    "Firewall rules of each instance: port range, protocol and who may connect (see the cidr tables).",
    "networking.ports[]",
    snapshot_columns()
    + parent_columns(("port_index", "networking.ports"))
    + [
        column("from_port", pa.int64(), "First port of the range (-1 or ICMP type for icmp).", source="fromPort"),
        column("to_port", pa.int64(), "Last port of the range (-1 or ICMP code for icmp).", source="toPort"),
        column("protocol", S, "tcp, udp, icmp, icmpv6 or all.", source="protocol"),
        column("access_from", S, "Human description of who may connect, e.g. Anywhere (0.0.0.0/0).", source="accessFrom"),
        column("access_type", S, "Public or private, as sent (real responses use lower case).", source="accessType"),
        column("common_name", S, "Common name of the rule.", source="commonName"),
        column("access_direction", S, "inbound or outbound.", source="accessDirection"),
        count_column("cidrs_count", "cidrs"),
        count_column("ipv6_cidrs_count", "ipv6Cidrs"),
        count_column("cidr_list_aliases_count", "cidrListAliases"),
        extra_column(),
    ],
)
