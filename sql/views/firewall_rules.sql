-- One row per firewall rule of every snapshot, its sources gathered: IPv4 CIDRs, IPv6 CIDRs and CIDR list aliases.
-- `sources` is all three sorted together; `ports` reads 'tcp 22', 'tcp 0-65535' or 'icmp 8/-1' (type/code), or just
-- the protocol when the ports are missing;
-- `rule` reads e.g. 'inbound tcp 22 from 0.0.0.0/0, ::/0'.
create or replace view firewall_rules as
with cidrs as (
    select snapshot_date, account_id, region, instance_arn, port_index, list(cidr order by cidr) as cidrs
    from firewall_port_cidrs
    group by all
),
ipv6_cidrs as (
    select snapshot_date, account_id, region, instance_arn, port_index, list(ipv6_cidr order by ipv6_cidr) as ipv6_cidrs
    from firewall_port_ipv6_cidrs
    group by all
),
aliases as (
    select snapshot_date, account_id, region, instance_arn, port_index, list(alias order by alias) as cidr_list_aliases
    from firewall_port_cidr_list_aliases
    group by all
),
rules as (
    select
        p.snapshot_date, p.account_id, p.region, p.instance_arn, p.port_index,
        coalesce(p.access_direction, 'inbound') as access_direction, p.protocol, p.from_port, p.to_port,
        p.access_from, p.access_type, p.common_name,
        coalesce(c.cidrs, []::varchar[]) as cidrs,
        coalesce(v.ipv6_cidrs, []::varchar[]) as ipv6_cidrs,
        coalesce(a.cidr_list_aliases, []::varchar[]) as cidr_list_aliases
    from firewall_ports as p
    left join cidrs as c using (snapshot_date, account_id, region, instance_arn, port_index)
    left join ipv6_cidrs as v using (snapshot_date, account_id, region, instance_arn, port_index)
    left join aliases as a using (snapshot_date, account_id, region, instance_arn, port_index)
),
ported as (
    select
        *,
        list_sort(cidrs || ipv6_cidrs || cidr_list_aliases) as sources,
        coalesce(protocol, '?') || coalesce(' ' || case
            when protocol in ('icmp', 'icmpv6') then from_port || '/' || to_port
            when from_port = to_port then from_port::varchar
            else from_port || '-' || to_port
        end, '') as ports
    from rules
)
select *, access_direction || ' ' || ports || ' from ' || coalesce(nullif(array_to_string(sources, ', '), ''), 'nobody') as rule
from ported
