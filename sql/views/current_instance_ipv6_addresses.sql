-- Rows of `instance_ipv6_addresses` from the latest complete snapshot of each account and region.
create or replace view current_instance_ipv6_addresses as
select t.*
from instance_ipv6_addresses as t
join current_snapshots as c using (snapshot_date, account_id, region)
