-- Current inbound firewall rules whose only sources are CIDR list aliases (e.g. lightsail-connect, the browser SSH
-- client): no CIDR says who may connect, so they are listed apart from report_firewall_exposure.
create or replace view report_firewall_alias_only_rules as
select
    r.snapshot_date, r.account_id, r.region, i.name as instance_name, r.instance_arn, r.port_index,
    r.protocol, r.from_port, r.to_port, r.cidr_list_aliases, r.rule
from firewall_rules as r
join current_snapshots using (snapshot_date, account_id, region)
join instances as i
    on i.snapshot_date = r.snapshot_date and i.account_id = r.account_id and i.region = r.region and i.arn = r.instance_arn
where r.access_direction = 'inbound' and len(r.cidr_list_aliases) > 0 and len(r.cidrs) = 0 and len(r.ipv6_cidrs) = 0
order by r.account_id, r.region, instance_name, r.port_index
