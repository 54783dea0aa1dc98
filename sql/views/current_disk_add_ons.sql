-- Rows of `disk_add_ons` from the latest complete snapshot of each account and region.
create or replace view current_disk_add_ons as
select t.*
from disk_add_ons as t
join current_snapshots as c using (snapshot_date, account_id, region)
