-- One row per current instance: identity, hardware, storage, networking, state and tags in one place. `tags` is a
-- map of key to value (NULL for a key-only tag, '' for an empty value).
create or replace view current_inventory as
with storage as (
    select snapshot_date, account_id, region, instance_arn,
           count(*) as disk_count,
           sum(size_in_gb) as storage_gb,
           count(*) filter (where not coalesce(is_system_disk, false)) as extra_disk_count
    from current_disks
    group by all
),
tags as (  -- a key given twice (AWS should not send that) keeps its first value here; all are in current_instance_tags
    select snapshot_date, account_id, region, instance_arn,
           map(list(key order by tag_index), list(value order by tag_index)) as tags
    from (
        select * from current_instance_tags
        qualify row_number() over (partition by snapshot_date, account_id, region, instance_arn, key order by tag_index) = 1
    )
    group by all
),
open_ports as (
    select snapshot_date, account_id, region, instance_arn, count(distinct port_index) as world_open_rules
    from ports_open_to_world
    group by all
)
select
    i.snapshot_date, i.account_id, i.region, i.availability_zone, i.arn, i.name,
    i.state_name, i.state_code, i.bundle_id, i.blueprint_id, i.blueprint_name,
    i.cpu_count, i.ram_size_in_gb, s.disk_count, s.extra_disk_count, s.storage_gb,
    i.ip_address_type, i.private_ip_address, i.public_ip_address, i.is_static_ip,
    i.monthly_transfer_gb_allocated, coalesce(o.world_open_rules, 0) as world_open_rules,
    i.metadata_http_tokens, i.metadata_http_endpoint,
    i.instance_status, i.system_status,
    i.created_at, i.username, i.ssh_key_name, i.support_code,
    coalesce(t.tags, map()) as tags
from current_instances as i
left join storage as s on s.snapshot_date = i.snapshot_date and s.account_id = i.account_id and s.region = i.region and s.instance_arn = i.arn
left join tags as t on t.snapshot_date = i.snapshot_date and t.account_id = i.account_id and t.region = i.region and t.instance_arn = i.arn
left join open_ports as o on o.snapshot_date = i.snapshot_date and o.account_id = i.account_id and o.region = i.region and o.instance_arn = i.arn
