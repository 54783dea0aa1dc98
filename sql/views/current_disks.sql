-- Rows of `disks` from the latest complete snapshot of each account and region.
create or replace view current_disks as
select t.*
from disks as t
join current_snapshots as c using (snapshot_date, account_id, region)
