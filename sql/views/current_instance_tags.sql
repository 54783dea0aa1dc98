-- Rows of `instance_tags` from the latest complete snapshot of each account and region.
create or replace view current_instance_tags as
select t.*
from instance_tags as t
join current_snapshots as c using (snapshot_date, account_id, region)
