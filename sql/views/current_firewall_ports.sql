-- Rows of `firewall_ports` from the latest complete snapshot of each account and region.
create or replace view current_firewall_ports as
select t.*
from firewall_ports as t
join current_snapshots as c using (snapshot_date, account_id, region)
