-- Current inbound firewall rules open to the whole internet (0.0.0.0/0 or ::/0), one row per rule, riskiest first:
-- `covers_ssh` / `covers_rdp` when the range includes 22 / 3389 over tcp (or all protocols), `all_protocols` for protocol all.
-- Rules reachable only through CIDR list aliases are in report_firewall_alias_only_rules.
create or replace view report_firewall_exposure as
with exposed as (
    select
        r.*,
        list_filter(r.cidrs || r.ipv6_cidrs, lambda x: x in ('0.0.0.0/0', '::/0')) as open_to,
        r.protocol = 'all' as all_protocols,
        r.protocol = 'all' or (r.protocol = 'tcp' and r.from_port <= 22 and r.to_port >= 22) as covers_ssh,
        r.protocol = 'all' or (r.protocol = 'tcp' and r.from_port <= 3389 and r.to_port >= 3389) as covers_rdp
    from firewall_rules as r
    join current_snapshots using (snapshot_date, account_id, region)
    where r.access_direction = 'inbound'
)
select
    e.snapshot_date, e.account_id, e.region, i.name as instance_name, e.instance_arn, e.port_index,
    e.protocol, e.from_port, e.to_port, e.open_to, e.covers_ssh, e.covers_rdp, e.all_protocols, e.rule
from exposed as e
join instances as i
    on i.snapshot_date = e.snapshot_date and i.account_id = e.account_id and i.region = e.region and i.arn = e.instance_arn
where len(e.open_to) > 0
order by e.all_protocols desc, (e.covers_ssh or e.covers_rdp) desc, e.account_id, e.region, instance_name, e.port_index
