-- Current inbound firewall rules open to the whole internet (0.0.0.0/0 or ::/0), one row per rule and range.
create or replace view ports_open_to_world as
with world as (
    select snapshot_date, account_id, region, instance_arn, port_index, cidr as open_to
    from current_firewall_port_cidrs
    where cidr = '0.0.0.0/0'
    union all
    select snapshot_date, account_id, region, instance_arn, port_index, ipv6_cidr as open_to
    from current_firewall_port_ipv6_cidrs
    where ipv6_cidr = '::/0'
)
select
    p.snapshot_date, p.account_id, p.region, i.name as instance_name, p.instance_arn, p.port_index,
    p.protocol, p.from_port, p.to_port, p.access_direction, p.access_type, p.common_name, w.open_to
from world as w
join current_firewall_ports as p using (snapshot_date, account_id, region, instance_arn, port_index)
join current_instances as i on i.snapshot_date = p.snapshot_date and i.account_id = p.account_id and i.region = p.region and i.arn = p.instance_arn
where coalesce(p.access_direction, 'inbound') = 'inbound'
