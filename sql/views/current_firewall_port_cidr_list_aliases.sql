-- Rows of `firewall_port_cidr_list_aliases` from the latest complete snapshot of each account and region.
create or replace view current_firewall_port_cidr_list_aliases as
select t.*
from firewall_port_cidr_list_aliases as t
join current_snapshots as c using (snapshot_date, account_id, region)
