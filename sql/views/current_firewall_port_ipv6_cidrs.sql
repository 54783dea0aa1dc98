-- Rows of `firewall_port_ipv6_cidrs` from the latest complete snapshot of each account and region.
create or replace view current_firewall_port_ipv6_cidrs as
select t.*
from firewall_port_ipv6_cidrs as t
join current_snapshots as c using (snapshot_date, account_id, region)
