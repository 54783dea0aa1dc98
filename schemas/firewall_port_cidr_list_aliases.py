"""`firewall_port_cidr_list_aliases`: the `cidrListAliases` of each firewall rule."""

import pyarrow as pa

from schemas._columns import column, parent_columns, snapshot_columns, table

SCHEMA = table(
    "firewall_port_cidr_list_aliases",
    "Items of `networking.ports[].cidrListAliases` for each firewall rule, in order.",
    "networking.ports[].cidrListAliases[]",
    snapshot_columns()
    + parent_columns(("port_index", "networking.ports"), ("alias_index", "cidrListAliases"))
    + [column("alias", pa.string(), "CIDR list alias allowed to connect (e.g. lightsail-connect).", source="")],
)
