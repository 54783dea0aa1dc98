-- Rows of `disk_tags` from the latest complete snapshot of each account and region.
create or replace view current_disk_tags as
select t.*
from disk_tags as t
join current_snapshots as c using (snapshot_date, account_id, region)
