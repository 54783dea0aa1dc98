-- Per instance, what changed between consecutive complete snapshots of its account and region: one row per
-- changed column (named as in `instances`), disk attached or detached (`disk`, see disk_changes) and firewall
-- rule opened, closed, widened or narrowed (`firewall_rule`, see firewall_rule_changes). Values are text.
-- Instances that appeared or disappeared are in instance_changes instead. Health statuses are compared only when
-- both snapshots have one: a run with --no-health-status (lightsail.include_health_status off) is not a change.
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
            {'field': 'metadata_http_protocol_ipv6', 'old_value': o.metadata_http_protocol_ipv6, 'new_value': c.metadata_http_protocol_ipv6},
            {'field': 'instance_status', 'old_value': o.instance_status, 'new_value': c.instance_status},
            {'field': 'system_status', 'old_value': o.system_status, 'new_value': c.system_status}
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
)
select account_id, region, snapshot_date, previous_date, instance_arn, instance_name,
       field, 'changed' as change, old_value, new_value
from unpivoted
where old_value is distinct from new_value
  and not (field in ('instance_status', 'system_status') and (old_value is null or new_value is null))
union all
select * from disk_changes
union all
select * from firewall_rule_changes
