-- Current inbound firewall rules whose only sources are CIDR list aliases (e.g. lightsail-connect, the browser SSH
-- client): no CIDR says who may connect, so they are listed apart from report_firewall_exposure. A rule whose
-- protocol and ports another inbound rule of the instance with CIDRs covers as a whole (see ports_cover) is not
-- reachable only through aliases and is left out.
create or replace view report_firewall_alias_only_rules as
select
    r.snapshot_date, r.account_id, r.region, i.name as instance_name, r.instance_arn, r.port_index,
    r.protocol, r.from_port, r.to_port, r.cidr_list_aliases, r.rule
from firewall_rules as r
join current_snapshots using (snapshot_date, account_id, region)
join instances as i
    on i.snapshot_date = r.snapshot_date and i.account_id = r.account_id and i.region = r.region and i.arn = r.instance_arn
where r.access_direction = 'inbound' and len(r.cidr_list_aliases) > 0 and len(r.cidrs) = 0 and len(r.ipv6_cidrs) = 0
    and not exists (
        select 1 from firewall_rules as o
        where o.snapshot_date = r.snapshot_date and o.account_id = r.account_id and o.region = r.region
            and o.instance_arn = r.instance_arn and o.access_direction = 'inbound'
            and len(o.cidrs) + len(o.ipv6_cidrs) > 0
            and ports_cover(o.protocol, o.from_port, o.to_port, r.protocol, r.from_port, r.to_port)
    )
order by r.account_id, r.region, instance_name, r.port_index
