"""`instances`: one row per Lightsail instance per snapshot, nested objects flattened into columns."""

import pyarrow as pa

from schemas._columns import TIMESTAMP, column, count_column, extra_column, snapshot_columns, table

S = pa.string()

SCHEMA = table(
    "instances",
    "One row per instance per snapshot: identity, placement, hardware, networking, state, metadata options and health.",
    "",
    snapshot_columns()
    + [
        column("arn", S, "Instance ARN.", source="arn", key=True),
        column("name", S, "Instance name.", source="name"),
        column("support_code", S, "Support code to quote to AWS Support.", source="supportCode"),
        column("created_at", TIMESTAMP, "When the instance was created.", source="createdAt"),
        column("availability_zone", S, "Availability zone, e.g. us-east-1a.", source="location.availabilityZone"),
        column("region_name", S, "Region as reported by the instance itself.", source="location.regionName"),
        column("resource_type", S, "Always `Instance`.", source="resourceType"),
        column("blueprint_id", S, "Blueprint (image) id.", source="blueprintId"),
        column("blueprint_name", S, "Blueprint (image) display name.", source="blueprintName"),
        column("bundle_id", S, "Bundle (size plan) id.", source="bundleId"),
        column("is_static_ip", pa.bool_(), "Whether the public IP is a static IP.", source="isStaticIp"),
        column("private_ip_address", S, "Private IPv4 address.", source="privateIpAddress"),
        column("public_ip_address", S, "Public IPv4 address.", source="publicIpAddress"),
        column("ip_address_type", S, "ipv4, ipv6 or dualstack.", source="ipAddressType"),
        column("cpu_count", pa.int64(), "Number of vCPUs.", source="hardware.cpuCount"),
        column("ram_size_in_gb", pa.float64(), "Memory in GB.", source="hardware.ramSizeInGb"),
        column("monthly_transfer_gb_allocated", pa.int64(), "Monthly data transfer allowance in GB.", source="networking.monthlyTransfer.gbPerMonthAllocated"),
        column("state_code", pa.int64(), "State code (16 running, 80 stopped, ...).", source="state.code"),
        column("state_name", S, "State name (running, stopped, ...).", source="state.name"),
        column("username", S, "Default SSH user name.", source="username"),
        column("ssh_key_name", S, "Name of the SSH key pair.", source="sshKeyName"),
        column("metadata_state", S, "State of the metadata option change (pending/applied).", source="metadataOptions.state"),
        column("metadata_http_tokens", S, "IMDS token mode: `optional` allows IMDSv1, `required` enforces IMDSv2.", source="metadataOptions.httpTokens"),
        column("metadata_http_endpoint", S, "Whether the metadata endpoint is enabled.", source="metadataOptions.httpEndpoint"),
        column("metadata_http_put_response_hop_limit", pa.int64(), "IMDS PUT response hop limit.", source="metadataOptions.httpPutResponseHopLimit"),
        column("metadata_http_protocol_ipv6", S, "Whether the IPv6 metadata endpoint is enabled.", source="metadataOptions.httpProtocolIpv6"),
        column("instance_status", S, "Instance health status (ok, impaired, ...); null without includeHealthStatus.", source="instanceStatus.status"),
        column("system_status", S, "System health status (ok, impaired, ...); null without includeHealthStatus.", source="systemStatus.status"),
        count_column("tags_count", "tags"),
        count_column("add_ons_count", "addOns"),
        count_column("ipv6_addresses_count", "ipv6Addresses"),
        count_column("disks_count", "hardware.disks"),
        count_column("ports_count", "networking.ports"),
        count_column("instance_status_details_count", "instanceStatus.details"),
        count_column("system_status_details_count", "systemStatus.details"),
        extra_column(),
    ],
)
