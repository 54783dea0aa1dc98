"""The warehouse's tables: one module per table, each an Arrow schema whose metadata is the documentation."""

from schemas import (
    disk_add_ons,
    disk_tags,
    disks,
    extraction_runs,
    firewall_port_cidr_list_aliases,
    firewall_port_cidrs,
    firewall_port_ipv6_cidrs,
    firewall_ports,
    instance_add_ons,
    instance_ipv6_addresses,
    instance_status_details,
    instance_tags,
    instances,
    quarantine,
    snapshots,
    system_status_details,
)

# Tables filled from GetInstances records, parents before children.
INSTANCE_TABLES = {
    m.SCHEMA.metadata[b"name"].decode(): m.SCHEMA
    for m in (
        instances,
        instance_tags,
        instance_add_ons,
        instance_ipv6_addresses,
        disks,
        disk_tags,
        disk_add_ons,
        firewall_ports,
        firewall_port_cidrs,
        firewall_port_ipv6_cidrs,
        firewall_port_cidr_list_aliases,
        instance_status_details,
        system_status_details,
    )
}

# Tables the pipeline writes about itself.
OPERATIONAL_TABLES = {
    m.SCHEMA.metadata[b"name"].decode(): m.SCHEMA for m in (snapshots, extraction_runs, quarantine)
}

TABLES = {**INSTANCE_TABLES, **OPERATIONAL_TABLES}


def meta(schema, key):
    """A table-level metadata value as text (None when absent)."""
    value = (schema.metadata or {}).get(key.encode())
    return None if value is None else value.decode()


def primary_key(schema):
    return meta(schema, "primary_key").split(",")
