-- Members AWS sent that no column models (kept in `_extra`): per table and path, how many rows and when first seen.
-- Generated from schemas/ by `python -m pipelines.drift`. Explicit nulls and empty objects of known members
-- are kept in `_extra` too, but they are not drift: only keys missing from `known` are listed.
create or replace view schema_drift as
with known (table_name, parent, member, prefix) as (
    values
        ('instances', '$', 'arn', ''),
        ('instances', '$', 'name', ''),
        ('instances', '$', 'supportCode', ''),
        ('instances', '$', 'createdAt', ''),
        ('instances', '$', 'location', ''),
        ('instances', '$.location', 'availabilityZone', 'location.'),
        ('instances', '$.location', 'regionName', 'location.'),
        ('instances', '$', 'resourceType', ''),
        ('instances', '$', 'blueprintId', ''),
        ('instances', '$', 'blueprintName', ''),
        ('instances', '$', 'bundleId', ''),
        ('instances', '$', 'isStaticIp', ''),
        ('instances', '$', 'privateIpAddress', ''),
        ('instances', '$', 'publicIpAddress', ''),
        ('instances', '$', 'ipAddressType', ''),
        ('instances', '$', 'hardware', ''),
        ('instances', '$.hardware', 'cpuCount', 'hardware.'),
        ('instances', '$.hardware', 'ramSizeInGb', 'hardware.'),
        ('instances', '$.hardware', 'disks', 'hardware.'),
        ('instances', '$', 'networking', ''),
        ('instances', '$.networking', 'monthlyTransfer', 'networking.'),
        ('instances', '$.networking.monthlyTransfer', 'gbPerMonthAllocated', 'networking.monthlyTransfer.'),
        ('instances', '$.networking', 'ports', 'networking.'),
        ('instances', '$', 'state', ''),
        ('instances', '$.state', 'code', 'state.'),
        ('instances', '$.state', 'name', 'state.'),
        ('instances', '$', 'username', ''),
        ('instances', '$', 'sshKeyName', ''),
        ('instances', '$', 'metadataOptions', ''),
        ('instances', '$.metadataOptions', 'state', 'metadataOptions.'),
        ('instances', '$.metadataOptions', 'httpTokens', 'metadataOptions.'),
        ('instances', '$.metadataOptions', 'httpEndpoint', 'metadataOptions.'),
        ('instances', '$.metadataOptions', 'httpPutResponseHopLimit', 'metadataOptions.'),
        ('instances', '$.metadataOptions', 'httpProtocolIpv6', 'metadataOptions.'),
        ('instances', '$', 'instanceStatus', ''),
        ('instances', '$.instanceStatus', 'status', 'instanceStatus.'),
        ('instances', '$.instanceStatus', 'details', 'instanceStatus.'),
        ('instances', '$', 'systemStatus', ''),
        ('instances', '$.systemStatus', 'status', 'systemStatus.'),
        ('instances', '$.systemStatus', 'details', 'systemStatus.'),
        ('instances', '$', 'tags', ''),
        ('instances', '$', 'addOns', ''),
        ('instances', '$', 'ipv6Addresses', ''),
        ('instance_tags', '$', 'key', 'tags[].'),
        ('instance_tags', '$', 'value', 'tags[].'),
        ('instance_add_ons', '$', 'name', 'addOns[].'),
        ('instance_add_ons', '$', 'status', 'addOns[].'),
        ('instance_add_ons', '$', 'snapshotTimeOfDay', 'addOns[].'),
        ('instance_add_ons', '$', 'nextSnapshotTimeOfDay', 'addOns[].'),
        ('instance_add_ons', '$', 'threshold', 'addOns[].'),
        ('instance_add_ons', '$', 'duration', 'addOns[].'),
        ('disks', '$', 'name', 'hardware.disks[].'),
        ('disks', '$', 'arn', 'hardware.disks[].'),
        ('disks', '$', 'supportCode', 'hardware.disks[].'),
        ('disks', '$', 'createdAt', 'hardware.disks[].'),
        ('disks', '$', 'location', 'hardware.disks[].'),
        ('disks', '$.location', 'availabilityZone', 'hardware.disks[].location.'),
        ('disks', '$.location', 'regionName', 'hardware.disks[].location.'),
        ('disks', '$', 'resourceType', 'hardware.disks[].'),
        ('disks', '$', 'sizeInGb', 'hardware.disks[].'),
        ('disks', '$', 'isSystemDisk', 'hardware.disks[].'),
        ('disks', '$', 'iops', 'hardware.disks[].'),
        ('disks', '$', 'path', 'hardware.disks[].'),
        ('disks', '$', 'state', 'hardware.disks[].'),
        ('disks', '$', 'attachedTo', 'hardware.disks[].'),
        ('disks', '$', 'isAttached', 'hardware.disks[].'),
        ('disks', '$', 'attachmentState', 'hardware.disks[].'),
        ('disks', '$', 'gbInUse', 'hardware.disks[].'),
        ('disks', '$', 'autoMountStatus', 'hardware.disks[].'),
        ('disks', '$', 'tags', 'hardware.disks[].'),
        ('disks', '$', 'addOns', 'hardware.disks[].'),
        ('disk_tags', '$', 'key', 'hardware.disks[].tags[].'),
        ('disk_tags', '$', 'value', 'hardware.disks[].tags[].'),
        ('disk_add_ons', '$', 'name', 'hardware.disks[].addOns[].'),
        ('disk_add_ons', '$', 'status', 'hardware.disks[].addOns[].'),
        ('disk_add_ons', '$', 'snapshotTimeOfDay', 'hardware.disks[].addOns[].'),
        ('disk_add_ons', '$', 'nextSnapshotTimeOfDay', 'hardware.disks[].addOns[].'),
        ('disk_add_ons', '$', 'threshold', 'hardware.disks[].addOns[].'),
        ('disk_add_ons', '$', 'duration', 'hardware.disks[].addOns[].'),
        ('firewall_ports', '$', 'fromPort', 'networking.ports[].'),
        ('firewall_ports', '$', 'toPort', 'networking.ports[].'),
        ('firewall_ports', '$', 'protocol', 'networking.ports[].'),
        ('firewall_ports', '$', 'accessFrom', 'networking.ports[].'),
        ('firewall_ports', '$', 'accessType', 'networking.ports[].'),
        ('firewall_ports', '$', 'commonName', 'networking.ports[].'),
        ('firewall_ports', '$', 'accessDirection', 'networking.ports[].'),
        ('firewall_ports', '$', 'cidrs', 'networking.ports[].'),
        ('firewall_ports', '$', 'ipv6Cidrs', 'networking.ports[].'),
        ('firewall_ports', '$', 'cidrListAliases', 'networking.ports[].'),
        ('instance_status_details', '$', 'name', 'instanceStatus.details[].'),
        ('instance_status_details', '$', 'status', 'instanceStatus.details[].'),
        ('instance_status_details', '$', 'impairedSince', 'instanceStatus.details[].'),
        ('system_status_details', '$', 'name', 'systemStatus.details[].'),
        ('system_status_details', '$', 'status', 'systemStatus.details[].'),
        ('system_status_details', '$', 'impairedSince', 'systemStatus.details[].')
),
extra as (
    select 'instances' as table_name, snapshot_date, _extra from instances where _extra is not null
    union all
    select 'instance_tags' as table_name, snapshot_date, _extra from instance_tags where _extra is not null
    union all
    select 'instance_add_ons' as table_name, snapshot_date, _extra from instance_add_ons where _extra is not null
    union all
    select 'disks' as table_name, snapshot_date, _extra from disks where _extra is not null
    union all
    select 'disk_tags' as table_name, snapshot_date, _extra from disk_tags where _extra is not null
    union all
    select 'disk_add_ons' as table_name, snapshot_date, _extra from disk_add_ons where _extra is not null
    union all
    select 'firewall_ports' as table_name, snapshot_date, _extra from firewall_ports where _extra is not null
    union all
    select 'instance_status_details' as table_name, snapshot_date, _extra from instance_status_details where _extra is not null
    union all
    select 'system_status_details' as table_name, snapshot_date, _extra from system_status_details where _extra is not null
),
found as (
    select e.table_name, e.snapshot_date, p.parent, p.prefix, unnest(json_keys(e._extra, p.parent)) as member
    from extra as e
    join (select distinct table_name, parent, prefix from known) as p on p.table_name = e.table_name
    where json_type(e._extra, p.parent) = 'OBJECT'
)
select f.table_name, f.prefix || f.member as path, count(*) as row_count,
       min(f.snapshot_date) as first_seen, max(f.snapshot_date) as last_seen
from found as f
anti join known as k on k.table_name = f.table_name and k.parent = f.parent and k.member = f.member
group by f.table_name, f.prefix || f.member
