-- Per instance, what changed between consecutive complete snapshots of its account and region: one row per
-- changed column (named as in `instances`), disk attached or detached (`disk`, see disk_changes) and firewall
-- rule opened, closed, widened or narrowed (`firewall_rule`, see firewall_rule_changes). Values are text.
-- Instances that appeared or disappeared are in instance_changes instead. Health statuses are compared with the
-- latest earlier snapshot that has one (`previous_date` is that snapshot's): a night run with --no-health-status
-- (lightsail.include_health_status off) is neither a change nor a gap that hides one.
create or replace view instance_field_changes as
with compared as (
    select
        p.account_id, p.region, p.snapshot_date, p.previous_date, p.instance_arn, p.instance_name,
        [
            {'field': 'name', 'old_value': o.name, 'new_value': c.name},
            {'field': 'state_name', 'old_value': o.state_name, 'new_value': c.state_name},
            {'field': 'bundle_id', 'old_value': o.bundle_id, 'new_value': c.bundle_id},
            {'field': 'blueprint_id', 'old_value': o.blueprint_id, 'new_value': c.blueprint_id},
            {'field': 'public_ip_address', 'old_value': o.public_ip_address, 'new_value': c.public_ip_address},
            {'field': 'private_ip_address', 'old_value': o.private_ip_address, 'new_value': c.private_ip_address},
            {'field': 'is_static_ip', 'old_value': o.is_static_ip::varchar, 'new_value': c.is_static_ip::varchar},
            {'field': 'ip_address_type', 'old_value': o.ip_address_type, 'new_value': c.ip_address_type},
            {'field': 'metadata_http_tokens', 'old_value': o.metadata_http_tokens, 'new_value': c.metadata_http_tokens},
            {'field': 'metadata_http_endpoint', 'old_value': o.metadata_http_endpoint, 'new_value': c.metadata_http_endpoint},
            {'field': 'metadata_http_put_response_hop_limit', 'old_value': o.metadata_http_put_response_hop_limit::varchar,
             'new_value': c.metadata_http_put_response_hop_limit::varchar},
            {'field': 'metadata_http_protocol_ipv6', 'old_value': o.metadata_http_protocol_ipv6, 'new_value': c.metadata_http_protocol_ipv6}
        ] as fields
    from instance_pairs as p
    join instances as c
        on c.account_id = p.account_id and c.region = p.region and c.snapshot_date = p.snapshot_date
        and c.arn = p.instance_arn
    join instances as o
        on o.account_id = p.account_id and o.region = p.region and o.snapshot_date = p.previous_date
        and o.arn = p.instance_arn
),
unpivoted as (
    select * exclude (fields), unnest(fields, recursive := true)
    from compared
),
health as (
    select account_id, region, snapshot_date, arn, name, field, value,
           lag(value) over w as old_value, lag(snapshot_date) over w as previous_date
    from (
        select account_id, region, snapshot_date, arn, name,
               unnest([{'field': 'instance_status', 'value': instance_status},
                       {'field': 'system_status', 'value': system_status}], recursive := true)
        from instances
    )
    where value is not null
    window w as (partition by account_id, region, arn, field order by snapshot_date)
)
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       field, 'changed' as change, old_value, new_value
from unpivoted
where old_value is distinct from new_value
union all
select h.account_id, h.region, h.snapshot_date, h.previous_date, h.arn, h.name,
       h.field, 'changed', h.old_value, h.value
from health as h
join instance_pairs as p  -- present in the consecutive previous snapshot too (else it is in instance_changes)
    on p.account_id = h.account_id and p.region = h.region and p.snapshot_date = h.snapshot_date
    and p.instance_arn = h.arn
where h.previous_date is not null and h.old_value is distinct from h.value
union all
select * from disk_changes
union all
select * from firewall_rule_changes
